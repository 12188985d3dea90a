# The two commands: `make demo` runs chatpulse end to end on embedded defaults, `make test`
# runs the whole test suite. Both install what they need first.

GO        ?= go
FUZZTIME  ?= 10s
BENCH_EVENTS ?= 1000000
BENCH_MESSAGES ?= 10000000

.PHONY: all build demo test unit fuzz bench bench-queries deps vet clean

all: build

build:
	$(GO) build -trimpath -o bin/chatpulse ./cmd/chatpulse

## demo: start a local broker and ClickHouse, stream sample traffic, print the engagement report
demo: deps
	$(GO) run ./cmd/chatpulse demo

## test: vet, every test with the race detector against real ClickHouse and kfake, fuzz smoke
test: deps vet unit fuzz

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 -timeout 15m ./...

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

## bench: the pipeline benchmark of BENCHMARKS.md
bench: deps
	$(GO) run ./cmd/chatpulse bench -events $(BENCH_EVENTS)

## bench-queries: load BENCH_MESSAGES synthetic messages into ClickHouse 18.16 and measure every
## dashboard panel and README query for the last day, week and whole range (BENCHMARKS.md)
bench-queries: deps
	$(GO) run ./cmd/benchqueries -messages $(BENCH_MESSAGES)

## deps: the ClickHouse server the tests and the demo run (Debian's clickhouse-server)
deps:
	scripts/deps.sh

clean:
	rm -rf bin
