package testenv

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// child is a server started as a child process in a process group of its own, with its output
// appended to a log file.
type child struct {
	pid    int
	exited chan struct{} // closed when the process has been waited for
}

// startChild starts cmd with stdout and stderr appended to logPath. Its own process group lets
// stop reach every process the server forks; the parent death signal ends the server when the
// test binary itself is killed.
func startChild(cmd *exec.Cmd, logPath string) (*child, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	c := &child{pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(c.exited)
	}()
	return c, nil
}

// stop signals the process group and waits for the process to exit; SIGTERM escalates to
// SIGKILL after grace.
func (c *child) stop(log *slog.Logger, sig syscall.Signal, grace time.Duration) error {
	if err := syscall.Kill(-c.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal process %d: %w", c.pid, err)
	}
	if sig != syscall.SIGKILL {
		select {
		case <-c.exited:
			return nil
		case <-time.After(grace):
			log.Warn("process did not stop in time, killing it", "pid", c.pid)
			if err := syscall.Kill(-c.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("kill process %d: %w", c.pid, err)
			}
		}
	}
	<-c.exited
	return nil
}

// fileTail is the last n bytes of a log file, for an error message.
func fileTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
