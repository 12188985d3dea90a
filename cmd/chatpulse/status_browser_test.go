package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium returns Debian's chromium, which scripts/deps.sh test installs; without it the
// test fails.
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (scripts/deps.sh test installs it): %v", err)
	}
	return path
}

// checkStatusPageInBrowser loads the worker's page in headless Chromium, waits until its
// tables show the figures of /status, and saves a screenshot in the test's directory. A wrong
// figure, a missing one or a JavaScript error fails the test.
func checkStatusPageInBrowser(t *testing.T, ctx context.Context, w statusWorker, doc statusDoc) {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // root in CI
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()

	var mu sync.Mutex
	var jsErrors []string
	err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			what := d.Text
			if d.Exception != nil {
				what += " " + d.Exception.Description
			}
			jsErrors = append(jsErrors, fmt.Sprintf("%s at %d:%d", what, d.LineNumber, d.ColumnNumber))
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				jsErrors = append(jsErrors, fmt.Sprintf("console.error %v", e.Args))
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	// cell reads the text of a cell of the page.
	cell := func(sel string) string {
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate("http://"+w.addr+"/")); err != nil {
		t.Fatal(err)
	}
	// The page reloads itself; wait until a reload shows the caught-up figures.
	want := map[string]string{}
	for _, r := range doc.Raw {
		row := fmt.Sprintf(`#raw tr[data-topic=%q][data-partition="%d"] `, r.Topic, r.Partition)
		want[row+"td.records"] = strconv.FormatUint(r.Records, 10)
		want[row+"td.decoded"] = strconv.FormatUint(r.Decoded, 10)
		want[row+"td.dead"] = strconv.FormatUint(r.DeadLettered, 10)
		want[row+"td.lag"] = "0"
	}
	for _, p := range doc.Repartition {
		row := fmt.Sprintf(`#state tr[data-partition="%d"] `, p.Partition)
		want[row+"td.lag"] = "0"
		want[row+"td.watermark"] = p.Watermark.Format("2006-01-02 15:04:05")
		want[row+"td.messages"] = strconv.Itoa(p.Messages)
		want[row+"td.pending"] = strconv.Itoa(p.Pending)
		want[row+"td.sessions"] = strconv.Itoa(p.Sessions)
		want[row+"td.bytes"] = shortBytes(p.Bytes)
		want[row+"td.restored"] = "from the log, restored in " + shortDuration(time.Duration(p.RestoreSeconds*float64(time.Second)))
	}
	want["#records"] = strconv.FormatUint(doc.Records, 10)
	want["#events"] = strconv.FormatUint(doc.Events, 10)
	want["#sink-pending"] = "0"
	want["#group"] = doc.Group
	want["#member"] = doc.MemberID
	want["#ready"] = "ready"
	var diff []string
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(`#raw tr[data-topic="cf"] td.records`))); err != nil {
			t.Fatal(err)
		}
		diff = diff[:0]
		for sel, v := range want {
			if got := cell(sel); got != v {
				diff = append(diff, fmt.Sprintf("%s shows %q, want %q", sel, got, v))
			}
		}
		if len(diff) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, d := range diff {
		t.Error(d)
	}
	deadLetters := cell("#dead-letters")
	for reason, n := range doc.DeadLettersByReason {
		if !strings.Contains(deadLetters, fmt.Sprintf("%s %d", reason, n)) {
			t.Errorf("dead letters %q do not show %s %d", deadLetters, reason, n)
		}
	}
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "status.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	// CHATPULSE_STATUS_SCREENSHOT keeps a copy for a person to look at.
	if keep := os.Getenv("CHATPULSE_STATUS_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	mu.Lock()
	defer mu.Unlock()
	for _, e := range jsErrors {
		t.Errorf("JavaScript error on the page: %s", e)
	}
}
