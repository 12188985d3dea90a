package gen_test

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/gen"
)

func TestZZBaseline(t *testing.T) {
	var out strings.Builder
	cfgs := []gen.Config{gen.DefaultConfig(), smallConfig(), withRates(0.5, 0.5, 0.5, 0.5, 0.5, 0.5)}
	for ci, cfg := range cfgs {
		for _, f := range allFormats {
			d, err := gen.Generate(f, cfg)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			for _, r := range d.Records {
				fmt.Fprintf(h, "%x %s %d %s\n", r.Key, r.Value, r.TimestampMs, r.Format)
			}
			fmt.Fprintf(h, "%s\n%s\n%d %+v\n", strings.Join(d.Expected.MessageFactsLines(), "\n"), strings.Join(d.Expected.MessageReceiptsLines(), "\n"), d.Poison, d.Stats)
			fmt.Fprintf(&out, "%d %s %x\n", ci, f, h.Sum(nil))
		}
	}
	os.WriteFile(os.Getenv("BASE_OUT"), []byte(out.String()), 0o644)
}
