package processor_test

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestSeedExamplesYieldTheGoldenRows sends the examples of the Causal Foundry documentation,
// in order, through the whole pipeline and compares the contract views with golden files.
func TestSeedExamplesYieldTheGoldenRows(t *testing.T) {
	raw, err := os.ReadFile("../decode/testdata/causalfoundry/seed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var recs []gen.Record
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			// Group events carry no time; the record time stands in for it.
			recs = append(recs, gen.Record{Value: []byte(line), TimestampMs: 1_707_900_000_000})
		}
	}
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "seed", 1, "seed")
	p.produce(recs, "seed")
	p.start("solo")
	p.waitCaughtUp()
	for view, lines := range p.views() {
		golden := "testdata/seed." + view + ".tsv"
		if *update {
			if err := os.WriteFile(golden, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		assertLines(t, view, lines, strings.Split(strings.TrimSuffix(string(want), "\n"), "\n"))
	}
}
