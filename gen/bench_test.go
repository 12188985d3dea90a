package gen_test

import (
	"io"
	"testing"

	"github.com/chatpulse/chatpulse/gen"
)

func BenchmarkCausalFoundry(b *testing.B) {
	b.ReportAllocs()
	cfg := gen.DefaultConfig()
	for b.Loop() {
		if _, err := gen.CausalFoundry(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, format := range allFormats {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			cfg := gen.DefaultConfig()
			for b.Loop() {
				if _, err := gen.Generate(format, cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWriteJSONL(b *testing.B) {
	b.ReportAllocs()
	d := generate(b, gen.DefaultConfig())
	for b.Loop() {
		if err := gen.WriteJSONL(io.Discard, d.Records); err != nil {
			b.Fatal(err)
		}
	}
}
