# The two commands: `make demo` runs chatpulse end to end on embedded defaults, `make test`
# runs the whole test suite. Both install what they need first.

GO        ?= go
FUZZTIME  ?= 200000x
BENCH_EVENTS ?= 1000000
BENCH_MESSAGES ?= 10000000

.PHONY: all build demo test unit peers fuzz bench bench-queries bench-peers deps test-deps broker vet clean

all: build

build:
	$(GO) build -trimpath -o bin/chatpulse ./cmd/chatpulse

## demo: start a local broker and ClickHouse, stream sample traffic, print the engagement report
demo: deps
	$(GO) run ./cmd/chatpulse demo

## test: vet, every test with the race detector against real ClickHouse, kfake and Apache Kafka
## (the suites that carry the promises; CHATPULSE_TEST_KAFKA picks their broker), fuzz smoke
test: test-deps vet broker unit peers fuzz

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if git grep -nE '^(<<<<<<<|>>>>>>>) ' -- . ; then echo "merge conflict markers left in the files above"; exit 1; fi

## broker: name the broker and version the promise suites run on, by starting it once
broker:
	@out=$$($(GO) test -count=1 -run '^TestApacheKafkaStartsTheVersionTheJarsAreOf$$' -v ./testenv 2>&1); rc=$$?; \
	if [ $$rc -ne 0 ]; then echo "$$out"; exit $$rc; fi; echo "$$out" | grep -E '^testenv:'; echo "promise suites run on it unless CHATPULSE_TEST_KAFKA=kfake"

## unit: every package's tests; then the figures the chaos, group-protocol and long-run tests
## reported (testenv.Report), which `go test` alone shows only with -v
unit:
	@reports=$$(mktemp -d); echo "$(GO) test -race -count=1 -timeout 18m ./..."; \
	CHATPULSE_TEST_REPORTS=$$reports $(GO) test -race -count=1 -timeout 18m ./...; rc=$$?; \
	for f in $$reports/*.txt; do [ -f "$$f" ] || continue; echo "--- $$(basename $$f .txt)"; cat "$$f"; done; \
	rm -rf $$reports; exit $$rc

## peers: the Kafka Streams and Flink peers' own tests (Maven; the cache stays in ~/.m2)
peers:
	mvn -q -B -f bench/peers/pom.xml verify

## fuzz: run every fuzz target for FUZZTIME each (a count of executions, as -fuzztime takes it)
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

## bench: the pipeline benchmark of BENCHMARKS.md
bench: deps
	$(GO) run ./cmd/chatpulse bench -events $(BENCH_EVENTS)

## bench-queries: load BENCH_MESSAGES synthetic messages into ClickHouse 18.16 and measure every
## dashboard panel and README query for the last day, week and whole range (BENCHMARKS.md)
bench-queries: deps
	$(GO) run ./cmd/benchqueries -messages $(BENCH_MESSAGES)

## bench-peers: chatpulse against its Kafka Streams and Flink peers on one Apache Kafka broker
## (BENCHMARKS.md); needs Java 17 with its compiler and Maven (`make test-deps`)
bench-peers: test-deps
	$(GO) run ./bench/benchpeers -events $(BENCH_EVENTS)
	$(GO) test -run '^$$' -bench RestoreMillionPendingMessages -benchtime 1x ./processor

## deps: what the demo runs (Debian's clickhouse-server and kcat; no Java)
deps:
	scripts/deps.sh

## test-deps: deps, plus Java, Apache Kafka's jars, ZooKeeper, Chromium and Prometheus for the tests
test-deps:
	scripts/deps.sh test

clean:
	rm -rf bin
