package processor

import (
	"context"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// limiter lets a flood of bad records be counted without flooding the log: at most a few lines
// a second, each saying how many were left out since the last one.
type limiter struct {
	window     time.Time
	inWindow   int
	suppressed int
}

const logsPerSecond = 5

func (l *limiter) do(log func(suppressed int)) {
	now := time.Now()
	if now.Sub(l.window) >= time.Second {
		l.window, l.inWindow = now, 0
	}
	if l.inWindow >= logsPerSecond {
		l.suppressed++
		return
	}
	l.inWindow++
	log(l.suppressed)
	l.suppressed = 0
}

// kgoLogger passes the Kafka client's warnings and errors to slog; its info and debug lines are
// per-request chatter.
type kgoLogger struct{ log *slog.Logger }

func (l kgoLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (l kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lvl := slog.LevelWarn
	if level == kgo.LogLevelError {
		lvl = slog.LevelError
	}
	l.log.Log(context.Background(), lvl, "kafka: "+msg, keyvals...)
}
