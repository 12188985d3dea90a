package testenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is the life of a test server run as a child process: started in a temporary directory
// that holds its configuration, data and server.log, waited for until it serves, stopped,
// killed, restarted on the same ports with the same data, and closed with its directory
// removed. ClickHouse and ZooKeeper are each one; their methods are safe for concurrent use.
type server struct {
	name  string // in log lines and errors
	log   *slog.Logger
	dir   string
	grace time.Duration // how long a SIGTERM may take before SIGKILL
	tail  int           // bytes of server.log an error shows
	// command is the server's command line; ready waits until it serves or exited is closed.
	command func() *exec.Cmd
	ready   func(ctx context.Context, exited <-chan struct{}) error

	mu     sync.Mutex
	proc   *child
	closed bool
}

func (s *server) logPath() string { return filepath.Join(s.dir, "server.log") }

// logTail is the end of server.log, for an error message.
func (s *server) logTail() string { return fileTail(s.logPath(), s.tail) }

// Dir is the server's temporary directory: configuration, data and server.log.
func (s *server) Dir() string { return s.dir }

// start runs the server and waits until it serves; a server that does not is killed.
func (s *server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked(ctx)
}

func (s *server) startLocked(ctx context.Context) error {
	cmd := s.command()
	cmd.Dir = s.dir
	proc, err := startChild(cmd, s.logPath())
	if err != nil {
		return fmt.Errorf("start %s: %w", s.name, err)
	}
	s.proc = proc
	s.log.Info(s.name+" starting", "pid", proc.pid, "dir", s.dir)
	if err := s.ready(ctx, proc.exited); err != nil {
		_ = s.stopLocked(syscall.SIGKILL)
		return fmt.Errorf("%w\n%s log tail:\n%s", err, s.name, s.logTail())
	}
	s.log.Info(s.name+" ready", "pid", proc.pid)
	return nil
}

// exited is closed when the running server exits; nil when none runs.
func (s *server) exited() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	return s.proc.exited
}

// Stop asks the server to shut down and kills it when it has not exited after its grace period.
func (s *server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(syscall.SIGTERM)
}

// Kill ends the server at once with SIGKILL, as a crash would.
func (s *server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(syscall.SIGKILL)
}

// Restart stops the server if it runs and starts it again on the same ports with the same data.
func (s *server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("restart %s: closed", s.name)
	}
	if err := s.stopLocked(syscall.SIGTERM); err != nil {
		return err
	}
	// One of its ports can stay taken for a while after the old process is gone (a socket in
	// TIME_WAIT, another test binary's port probe); the server then exits at once with
	// "Address already in use" and is started again until the port is free.
	deadline := time.Now().Add(portReleaseTimeout)
	for {
		logStart := fileSize(s.logPath())
		err := s.startLocked(ctx)
		if err == nil || !s.portInUseSince(logStart) || time.Now().After(deadline) {
			return err
		}
		s.log.Info(s.name+" port still in use, starting again", "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

// portInUseSince reports whether the server logged, after byte logStart of server.log, that it
// could not bind a port; server.log holds every earlier start too.
func (s *server) portInUseSince(logStart int64) bool {
	b, err := os.ReadFile(s.logPath())
	if err != nil || int64(len(b)) < logStart {
		return false
	}
	return strings.Contains(string(b[logStart:]), addressInUse)
}

// fileSize is the size of the file at path, 0 when it does not exist.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// portReleaseTimeout is how long Restart waits for a port to leave TIME_WAIT (60 s on Linux).
const portReleaseTimeout = 70 * time.Second

// Close stops the server and removes its directory. Closing twice is a no-op.
func (s *server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	stopErr := s.stopLocked(syscall.SIGTERM)
	if err := os.RemoveAll(s.dir); err != nil {
		return errors.Join(stopErr, fmt.Errorf("remove %s dir: %w", s.name, err))
	}
	return stopErr
}

// stopLocked signals the server and waits for it to exit. A server that is not running is
// already stopped.
func (s *server) stopLocked(sig syscall.Signal) error {
	if s.proc == nil {
		return nil
	}
	proc := s.proc
	s.proc = nil
	if err := proc.stop(s.log, sig, s.grace); err != nil {
		return fmt.Errorf("stop %s: %w", s.name, err)
	}
	return nil
}
