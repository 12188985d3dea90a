package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModernResult is what a current ClickHouse made of one statement.
type ModernResult struct {
	OK bool
	// Lines are the TSV lines of the result, or the error when the statement failed.
	Lines []string
}

// RunModern runs stmts in order in one session of a current ClickHouse (chDB, embedded, so no
// server is started) and returns one result per statement. The runner is $CHATPULSE_CH_MODERN,
// else the workplace's shared/tools/ch-modern above the module root unless the statements
// exceed what it takes (sharedToolMaxSQL), else the module's own scripts/ch-modern; the last
// two print the same report. A failed statement is a result, not
// an error; an error means the runner could not run or its report does not match stmts.
func RunModern(ctx context.Context, stmts []string) ([]ModernResult, error) {
	return RunModernWithConfig(ctx, "", stmts)
}

// RunModernWithConfig is RunModern with configXML as the engine's config.xml (none when
// empty): chDB reads it from its working directory, so it can define clusters, for example.
func RunModernWithConfig(ctx context.Context, configXML string, stmts []string) ([]ModernResult, error) {
	sql := strings.Join(stmts, ";\n") + ";\n"
	tool, err := modernRunner(len(sql))
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "chatpulse-modern-")
	if err != nil {
		return nil, fmt.Errorf("run modern clickhouse: %w", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "statements.sql")
	if err := os.WriteFile(file, []byte(sql), 0o644); err != nil {
		return nil, fmt.Errorf("run modern clickhouse: %w", err)
	}
	if configXML != "" {
		if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(configXML), 0o644); err != nil {
			return nil, fmt.Errorf("run modern clickhouse: %w", err)
		}
	}
	cmd := exec.CommandContext(ctx, tool, file)
	cmd.Dir = dir // chDB reads ./config.xml when there is one
	out, runErr := cmd.CombinedOutput()
	var rs []ModernResult
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "ok    ") || strings.HasPrefix(l, "FAIL  "):
			if len(rs) == len(stmts) || l[6:] != modernHead(stmts[len(rs)]) {
				return nil, fmt.Errorf("%s: result %d is of %q, which is not statement %d (%v):\n%s", tool, len(rs), l[6:], len(rs), runErr, out)
			}
			rs = append(rs, ModernResult{OK: strings.HasPrefix(l, "ok    ")})
		case strings.Contains(l, " passed, ") && strings.HasSuffix(l, " failed"):
		case len(rs) > 0:
			r := &rs[len(rs)-1]
			if !r.OK {
				l = strings.TrimSpace(l) // the error, indented under its statement
			}
			r.Lines = append(r.Lines, l)
		}
	}
	if len(rs) != len(stmts) {
		return nil, fmt.Errorf("%s printed %d results for %d statements (%v):\n%s", tool, len(rs), len(stmts), runErr, out)
	}
	return rs, nil
}

// modernHead is how the runners name a statement: its first 100 bytes with each run of white
// space made one space.
func modernHead(q string) string {
	h := strings.Join(strings.Fields(q), " ")
	if len(h) > 100 {
		h = h[:100]
	}
	return h
}

// sharedToolMaxSQL is the most SQL the workplace's tool takes: it hands the statements to node
// in one environment variable, which Linux bounds at 128 KiB (MAX_ARG_STRLEN) with its name.
const sharedToolMaxSQL = 128<<10 - 64

// modernRunner picks the runner for sqlBytes of statements.
func modernRunner(sqlBytes int) (string, error) {
	if p := os.Getenv("CHATPULSE_CH_MODERN"); p != "" {
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	if sqlBytes > sharedToolMaxSQL {
		return filepath.Join(root, "scripts", "ch-modern"), nil
	}
	for d := filepath.Dir(root); ; d = filepath.Dir(d) {
		p := filepath.Join(d, "shared", "tools", "ch-modern")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return filepath.Join(root, "scripts", "ch-modern"), nil
}

// moduleRoot is the nearest directory above the working directory that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
