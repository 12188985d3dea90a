package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func httpQuery(t *testing.T, ch *ClickHouse, query string) string {
	t.Helper()
	resp, err := http.Post("http://"+ch.HTTPAddr()+"/?query="+url.QueryEscape(query), "text/plain", nil)
	if err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("query %q: %s: %s", query, resp.Status, body)
	}
	return string(body)
}

func httpGet(t *testing.T, rawURL string) string {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatalf("get %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("get %s: %v", rawURL, err)
	}
	return string(body)
}

func TestClickHouseLifecycle(t *testing.T) {
	ch := ClickHouseForTest(t)
	ctx := context.Background()

	t.Run("a started server answers ping", func(t *testing.T) {
		if got := httpGet(t, "http://"+ch.HTTPAddr()+"/ping"); got != "Ok.\n" {
			t.Fatalf("ping answered %q", got)
		}
		if ch.Addr() == ch.HTTPAddr() || !strings.HasPrefix(ch.Addr(), "127.0.0.1:") {
			t.Fatalf("addresses tcp=%s http=%s", ch.Addr(), ch.HTTPAddr())
		}
	})

	t.Run("a restart keeps ports and data", func(t *testing.T) {
		httpQuery(t, ch, "CREATE TABLE default.kept (x UInt8) ENGINE = MergeTree ORDER BY x")
		httpQuery(t, ch, "INSERT INTO default.kept (x) VALUES (7)")
		addr, httpAddr := ch.Addr(), ch.HTTPAddr()
		if err := ch.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		if ch.Addr() != addr || ch.HTTPAddr() != httpAddr {
			t.Fatalf("ports changed: %s %s -> %s %s", addr, httpAddr, ch.Addr(), ch.HTTPAddr())
		}
		if got := httpQuery(t, ch, "SELECT x FROM default.kept"); got != "7\n" {
			t.Fatalf("after restart the table holds %q", got)
		}
	})

	t.Run("a restart waits until a port the server needs is free again", func(t *testing.T) {
		if err := ch.Stop(); err != nil {
			t.Fatal(err)
		}
		// A listener on the server's HTTP port makes every start exit with "Address already in
		// use" until it is closed, as a port in TIME_WAIT does after a kill.
		l, err := net.Listen("tcp", ch.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		released := make(chan struct{})
		go func() {
			time.Sleep(3 * time.Second)
			l.Close()
			close(released)
		}()
		if err := ch.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-released:
		default:
			t.Fatal("the server started while its port was taken")
		}
		if got := httpQuery(t, ch, "SELECT count() FROM default.kept"); got != "1\n" {
			t.Fatalf("after the restart the table holds %q rows", got)
		}
	})

	t.Run("a killed server comes back with its data", func(t *testing.T) {
		if err := ch.Kill(); err != nil {
			t.Fatal(err)
		}
		if _, err := http.Get("http://" + ch.HTTPAddr() + "/ping"); err == nil {
			t.Fatal("a killed server still answers")
		}
		if err := ch.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		if got := httpQuery(t, ch, "SELECT count() FROM default.kept"); got != "1\n" {
			t.Fatalf("after kill and restart the table holds %q rows", got)
		}
	})
}

func TestClickHouseCloseRemovesItsDirectory(t *testing.T) {
	ch, err := StartClickHouse(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := ch.Dir()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("data dir missing while running: %v", err)
	}
	if err := ch.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data dir still there after Close: %v", err)
	}
	if err := ch.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := ch.Restart(context.Background()); err == nil {
		t.Fatal("Restart after Close succeeded")
	}
}

func TestASecureClickHouseServesTLSToClientsTrustingItsCA(t *testing.T) {
	ca, err := NewCA("test ca")
	if err != nil {
		t.Fatal(err)
	}
	ch := ClickHouseForTest(t, WithTLS(ca), WithUser("app", "pw<&>"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM)
	t.Run("the TLS port completes a handshake with the CA's certificate", func(t *testing.T) {
		conn, err := tls.Dial("tcp", ch.TLSAddr(), &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
	})
	t.Run("the plain ports still answer", func(t *testing.T) {
		if got := httpGet(t, "http://"+ch.HTTPAddr()+"/ping"); got != "Ok.\n" {
			t.Fatalf("ping answered %q", got)
		}
		if ch.TLSAddr() == ch.Addr() {
			t.Fatalf("the TLS and plain ports are both %s", ch.Addr())
		}
	})
	t.Run("the added user logs in with its password and not without", func(t *testing.T) {
		if got := httpGet(t, "http://"+ch.HTTPAddr()+"/?user=app&password="+url.QueryEscape("pw<&>")+"&query=SELECT+1"); got != "1\n" {
			t.Fatalf("logged in as %q", got)
		}
		if got := httpGet(t, "http://"+ch.HTTPAddr()+"/?user=app&password=wrong&query=SELECT+1"); got == "1\n" {
			t.Fatal("a wrong password was accepted")
		}
	})
}

func TestAPlainClickHouseHasNoTLSAddress(t *testing.T) {
	ch := ClickHouseForTest(t)
	if ch.TLSAddr() != "" {
		t.Fatalf("TLSAddr %q without WithTLS", ch.TLSAddr())
	}
}

func TestRunModernReportsEachStatement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rs, err := RunModern(ctx, []string{
		"CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a",
		"INSERT INTO t (a) VALUES (1), (2)",
		"SELECT a, a * 10 FROM t ORDER BY a",
		"SELECT no_such_column FROM t",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []ModernResult{{OK: true}, {OK: true}, {OK: true, Lines: []string{"1\t10", "2\t20"}}, {OK: false}}
	for i, r := range rs {
		if r.OK != want[i].OK || r.OK && !slices.Equal(r.Lines, want[i].Lines) {
			t.Errorf("statement %d: %+v, want %+v", i, r, want[i])
		}
	}
	if len(rs[3].Lines) == 0 || !strings.Contains(rs[3].Lines[0], "no_such_column") {
		t.Errorf("the failed statement's error is %q, want one naming the column", rs[3].Lines)
	}
}
