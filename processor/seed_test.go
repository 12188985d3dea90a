package processor_test

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestSeedExamplesYieldTheGoldenRows sends the examples of each format's documentation, in
// order, through the whole pipeline and compares the contract views with golden files.
func TestSeedExamplesYieldTheGoldenRows(t *testing.T) {
	for _, format := range []string{"causalfoundry", "expertflow", "chatlayer", "voipbin"} {
		t.Run(format, func(t *testing.T) {
			raw, err := os.ReadFile("../decode/testdata/" + format + "/seed.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			var recs []gen.Record
			sc := bufio.NewScanner(bytes.NewReader(raw))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if line := strings.TrimSpace(sc.Text()); line != "" {
					// Events without a time of their own take the record time.
					recs = append(recs, gen.Record{Value: []byte(line), TimestampMs: 1_707_900_000_000})
				}
			}
			kafka := testenv.KafkaForTest(t)
			p := newPipeline(t, kafka, format, 1, "seed")
			f, err := decode.ParseFormat(format)
			if err != nil {
				t.Fatal(err)
			}
			p.cfg.InputTopics = processor.TopicFormats{format: f}
			p.produce(recs, format)
			p.start("solo")
			p.waitCaughtUp()
			for view, lines := range p.views() {
				golden := "testdata/seed." + format + "." + view + ".tsv"
				if *update {
					if err := os.WriteFile(golden, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				assertLines(t, view, lines, nonEmptyLines(string(want)))
			}
		})
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
