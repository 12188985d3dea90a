package gen

import (
	"bufio"
	"fmt"
	"io"
)

// WriteJSONL writes each record's value on its own line. Values never contain a raw newline
// (JSON escapes it), so one line is one record; keys and timestamps are not written.
func WriteJSONL(w io.Writer, recs []Record) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, r := range recs {
		if _, err := bw.Write(r.Value); err != nil {
			return fmt.Errorf("write jsonl: %w", err)
		}
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("write jsonl: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write jsonl: %w", err)
	}
	return nil
}
