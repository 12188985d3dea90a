package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// workerProc is one `chatpulse run` process in a process group of its own, logging to a file.
type workerProc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // the exit status; read only after exited is closed
}

// startWorkerProc starts `bin run` with env, logging stdout and stderr to dir/name.log.
func startWorkerProc(bin, name, dir string, env []string) (*workerProc, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("worker %s log: %w", name, err)
	}
	cmd := exec.Command(bin, "run")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own group, so that a signal reaches only it; the parent death signal ends it when the
	// test binary dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start worker %s: %w", name, err)
	}
	w := &workerProc{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		w.waitErr = cmd.Wait()
		logFile.Close()
		close(w.exited)
	}()
	return w, nil
}

// hasExited reports whether the process has ended.
func (w *workerProc) hasExited() bool {
	select {
	case <-w.exited:
		return true
	default:
		return false
	}
}

// waitReady waits until the worker logs "consuming", which it does once its migrations ran and
// its Kafka client exists: before that, a SIGTERM cancels its start-up, which is not the
// graceful stop under test.
func (w *workerProc) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(w.logPath); err == nil && bytes.Contains(b, []byte("msg=consuming ")) {
			return nil
		}
		if w.hasExited() {
			return fmt.Errorf("worker %s exited during start-up: %v", w.name, w.waitErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("worker %s did not start consuming within %s", w.name, timeout)
}

// kill ends the worker with SIGKILL, as a crash would, and waits for it. A worker that has
// exited is left alone: its process group id may belong to another process by now.
func (w *workerProc) kill() error {
	if w.hasExited() {
		return nil
	}
	if err := syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill worker %s: %w", w.name, err)
	}
	<-w.exited
	return nil
}

// stop sends SIGTERM and waits for a clean exit; a worker that has not exited by the timeout is
// killed and reported.
func (w *workerProc) stop(timeout time.Duration) error {
	if err := syscall.Kill(-w.cmd.Process.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop worker %s: %w", w.name, err)
	}
	select {
	case <-w.exited:
	case <-time.After(timeout):
		return fmt.Errorf("worker %s did not stop within %s of SIGTERM; its goroutines:\n%s", w.name, timeout, w.dumpAndKill())
	}
	if w.waitErr != nil {
		return fmt.Errorf("worker %s stopped with %v", w.name, w.waitErr)
	}
	return nil
}

// dumpAndKill makes a hung worker print its goroutines (SIGQUIT), kills it, and returns the dump.
func (w *workerProc) dumpAndKill() string {
	var from int64
	if fi, err := os.Stat(w.logPath); err == nil {
		from = fi.Size()
	}
	_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGQUIT)
	select {
	case <-w.exited:
	case <-time.After(5 * time.Second):
	}
	if err := w.kill(); err != nil {
		return err.Error()
	}
	b, err := os.ReadFile(w.logPath)
	if err != nil || int64(len(b)) < from {
		return "(no dump)"
	}
	const maxDump = 64 << 10
	dump := b[from:]
	if len(dump) > maxDump {
		dump = append(dump[:maxDump:maxDump], "\n... (cut)"...)
	}
	return string(dump)
}

// logSummary is what a failure shows of the worker's log: its warnings and errors (the last
// maxProblems of them), the first lines of any other output such as a panic, and the last tail
// log lines. A goroutine dump that stop already reported is left out.
func (w *workerProc) logSummary(maxProblems, tail int) string {
	b, err := os.ReadFile(w.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	text, _, _ := strings.Cut(string(b), "SIGQUIT: quit")
	var logLines, problems, other []string
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		switch {
		case !strings.HasPrefix(l, "time="):
			other = append(other, l)
		case strings.Contains(l, " level=WARN ") || strings.Contains(l, " level=ERROR "):
			problems = append(problems, l)
			logLines = append(logLines, l)
		default:
			logLines = append(logLines, l)
		}
	}
	var sb strings.Builder
	state := "running"
	if w.hasExited() {
		state = fmt.Sprintf("exited (%v)", w.waitErr)
	}
	fmt.Fprintf(&sb, "=== worker %s, %s: %d log lines, %d warnings and errors\n", w.name, state, len(logLines), len(problems))
	if len(problems) > maxProblems {
		fmt.Fprintf(&sb, "... %d earlier warnings and errors\n", len(problems)-maxProblems)
		problems = problems[len(problems)-maxProblems:]
	}
	for _, l := range problems {
		sb.WriteString(l + "\n")
	}
	if len(other) > 0 {
		fmt.Fprintf(&sb, "--- other output (%d lines)\n", len(other))
		for _, l := range other[:min(len(other), 40)] {
			sb.WriteString(l + "\n")
		}
	}
	fmt.Fprintf(&sb, "--- last %d log lines\n", min(tail, len(logLines)))
	for _, l := range logLines[max(len(logLines)-tail, 0):] {
		sb.WriteString(l + "\n")
	}
	return sb.String()
}

// fleet is the chaos test's consumer group: the workers that run and every one that ran.
type fleet struct {
	t       *testing.T
	bin     string
	dir     string
	env     []string
	running []*workerProc
	all     []*workerProc
}

// add starts one more worker and waits until it consumes.
func (f *fleet) add() *workerProc {
	f.t.Helper()
	name := fmt.Sprintf("w%02d", len(f.all)+1)
	w, err := startWorkerProc(f.bin, name, f.dir, f.env)
	if err != nil {
		f.t.Fatal(err)
	}
	f.all = append(f.all, w)
	f.running = append(f.running, w)
	if err := w.waitReady(time.Minute); err != nil {
		f.t.Fatal(err)
	}
	return w
}

// remove takes the i-th running worker out of the fleet.
func (f *fleet) remove(i int) *workerProc {
	w := f.running[i]
	f.running = append(f.running[:i:i], f.running[i+1:]...)
	return w
}

// checkAlive fails the test when a worker the test did not stop has exited.
func (f *fleet) checkAlive() {
	f.t.Helper()
	for _, w := range f.running {
		if w.hasExited() {
			f.t.Fatalf("worker %s exited on its own: %v", w.name, w.waitErr)
		}
	}
}

// killAll ends every worker still running; it is the cleanup of a failed test.
func (f *fleet) killAll() {
	for _, w := range f.all {
		_ = w.kill()
	}
}

// logs summarises every worker's log, for a failure.
func (f *fleet) logs() string {
	var sb strings.Builder
	for _, w := range f.all {
		sb.WriteString(w.logSummary(20, 15))
	}
	return sb.String()
}

// workerEnv is the test process's environment without any CHATPULSE_ setting, plus vars.
func workerEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix+"_") {
			env = append(env, kv)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}
