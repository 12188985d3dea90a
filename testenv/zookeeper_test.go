package testenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestZooKeeperLifecycle(t *testing.T) {
	if !zooKeeperForTest(t) {
		return
	}
	ctx := context.Background()
	z, err := StartZooKeeper(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = z.Close() })

	t.Run("a started server serves on its loopback port", func(t *testing.T) {
		if !zooKeeperServing(ctx, z.Addr()) {
			t.Fatalf("%s does not serve", z.Addr())
		}
	})

	t.Run("a killed server stops serving and comes back on the same port and directory", func(t *testing.T) {
		snapshots := filepath.Join(z.Dir(), "data", "version-2")
		if _, err := os.Stat(snapshots); err != nil {
			t.Fatalf("no data directory while running: %v", err)
		}
		addr := z.Addr()
		if err := z.Kill(); err != nil {
			t.Fatal(err)
		}
		if zooKeeperServing(ctx, addr) {
			t.Fatal("a killed server still serves")
		}
		if err := z.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		if z.Addr() != addr || !zooKeeperServing(ctx, addr) {
			t.Fatalf("after restart %s serves: %v, want %s", z.Addr(), zooKeeperServing(ctx, z.Addr()), addr)
		}
		if _, err := os.Stat(snapshots); err != nil {
			t.Fatalf("data directory gone after restart: %v", err)
		}
	})

	t.Run("closing removes its directory and closing again does nothing", func(t *testing.T) {
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(z.Dir()); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("directory still there after Close: %v", err)
		}
		if err := z.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := z.Restart(ctx); err == nil {
			t.Fatal("Restart after Close succeeded")
		}
	})
}

// outcomeTB records whether a helper failed or skipped the test it was given.
type outcomeTB struct {
	testing.TB
	failed, skipped bool
}

func (o *outcomeTB) Helper()               {}
func (o *outcomeTB) Fatalf(string, ...any) { o.failed = true }
func (o *outcomeTB) Skipf(string, ...any)  { o.skipped = true }

func TestAMissingZooKeeperPackage(t *testing.T) {
	defer func(jar string) { zooKeeperJar = jar }(zooKeeperJar)
	zooKeeperJar = filepath.Join(t.TempDir(), "zookeeper.jar")
	for _, tc := range []struct {
		name, ci           string
		wantFail, wantSkip bool
	}{
		{name: "fails the test in CI", ci: "true", wantFail: true},
		{name: "skips the test outside CI", ci: "", wantSkip: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			o := &outcomeTB{TB: t}
			if zooKeeperForTest(o) {
				t.Fatal("a missing package was found")
			}
			if o.failed != tc.wantFail || o.skipped != tc.wantSkip {
				t.Fatalf("failed %v skipped %v, want failed %v skipped %v", o.failed, o.skipped, tc.wantFail, tc.wantSkip)
			}
		})
	}
}
