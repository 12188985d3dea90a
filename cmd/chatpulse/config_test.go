package main

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kelseyhightower/envconfig"
)

// configVariables lists every variable the configuration reads, from the envconfig tags.
func configVariables(t *testing.T) []string {
	t.Helper()
	var vars []string
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if tag := f.Tag.Get("envconfig"); tag != "" {
				vars = append(vars, envPrefix+"_"+tag)
				continue
			}
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(config{}))
	sort.Strings(vars)
	return vars
}

func TestEveryVariableIsDocumentedInTheReadme(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(CHATPULSE_[A-Z0-9_]+)`").FindAllStringSubmatch(string(readme), -1) {
		documented[m[1]] = true
	}
	vars := configVariables(t)
	if len(vars) < 15 {
		t.Fatalf("found only %d variables in the configuration: %v", len(vars), vars)
	}
	for _, v := range vars {
		if !documented[v] {
			t.Errorf("%s is read but not in the README's configuration table", v)
		}
		delete(documented, v)
	}
	for v := range documented {
		t.Errorf("%s is in the README's configuration table but nothing reads it", v)
	}
}

func TestDefaultsAreValid(t *testing.T) {
	clearEnv(t)
	if _, err := loadConfig(); err != nil {
		t.Fatalf("the defaults do not load: %v", err)
	}
}

func TestInvalidConfigurationNamesTheVariable(t *testing.T) {
	tests := []struct {
		name, variable, value string
	}{
		{"an unknown input format is rejected", "CHATPULSE_INPUT_TOPICS", "chat=whatsapp"},
		{"an input topic without a format is rejected", "CHATPULSE_INPUT_TOPICS", "chat"},
		{"a broker without a port is rejected", "CHATPULSE_KAFKA_BROKERS", "kafka"},
		{"a partition count that is not a number is rejected", "CHATPULSE_PARTITIONS", "twelve"},
		{"zero partitions are rejected", "CHATPULSE_PARTITIONS", "0"},
		{"a join TTL that is not a duration is rejected", "CHATPULSE_JOIN_TTL", "a week"},
		{"a join TTL under a minute is rejected", "CHATPULSE_JOIN_TTL", "1s"},
		{"a database name that is not an identifier is rejected", "CHATPULSE_CLICKHOUSE_DATABASE", "chat-pulse; DROP"},
		{"a cluster name that is not an identifier is rejected", "CHATPULSE_CLICKHOUSE_CLUSTER", "chat pulse"},
		{"a ClickHouse address without a port is rejected", "CHATPULSE_CLICKHOUSE_ADDR", "clickhouse"},
		{"a zero flush interval is rejected", "CHATPULSE_FLUSH_INTERVAL", "0s"},
		{"a negative idle flush delay is rejected", "CHATPULSE_FLUSH_IDLE", "-1ms"},
		{"a commit spacing under a millisecond is rejected", "CHATPULSE_COMMIT_SPACING", "0s"},
		{"an unknown log level is rejected", "CHATPULSE_LOG_LEVEL", "loud"},
		{"an unknown log format is rejected", "CHATPULSE_LOG_FORMAT", "xml"},
		{"a group name with spaces is rejected", "CHATPULSE_GROUP", "my group"},
		{"the dead-letter topic cannot be an input", "CHATPULSE_INPUT_TOPICS", "chatpulse.dlq=auto"},
		{"a dead-letter retention under an hour is rejected", "CHATPULSE_DLQ_RETENTION", "10m"},
		{"a broker URL with credentials is rejected", "CHATPULSE_KAFKA_BROKERS", "sasl://u:p@kafka:9092"},
		{"a static member id with a slash is rejected", "CHATPULSE_KAFKA_INSTANCE_ID", "pod/0"},
		{"a partition fetch limit under 64 KiB is rejected", "CHATPULSE_KAFKA_FETCH_MAX_PARTITION_BYTES", "1024"},
		{"a partition fetch limit above the fetch limit is rejected", "CHATPULSE_KAFKA_FETCH_MAX_PARTITION_BYTES", "8388608"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(tt.variable, tt.value)
			_, err := loadConfig()
			if err == nil {
				t.Fatalf("%s=%q was accepted", tt.variable, tt.value)
			}
			if !strings.Contains(err.Error(), tt.variable) {
				t.Fatalf("the error does not name %s: %v", tt.variable, err)
			}
		})
	}
}

func TestAPasswordThatFailsToParseIsNotPrinted(t *testing.T) {
	err := cleanEnvError(&envconfig.ParseError{KeyName: "CHATPULSE_CLICKHOUSE_PASSWORD", Value: "hunter2", Err: errors.New("bad")})
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the password appears in %q", err)
	}
}

// clearEnv unsets every chatpulse variable for the test, so the machine's environment cannot
// change the outcome.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, envPrefix+"_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}
