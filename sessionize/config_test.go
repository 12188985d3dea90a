package sessionize

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"
)

func TestDefaultConfigMatchesTheDefaultTags(t *testing.T) {
	for _, key := range []string{"SESSION_GAP", "SESSION_LATENESS"} {
		t.Setenv("CHATPULSE_"+key, "")
		os.Unsetenv("CHATPULSE_" + key)
	}
	var got Config
	if err := envconfig.Process("CHATPULSE", &got); err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Fatalf("envconfig defaults %+v, DefaultConfig %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // every message the error must contain; none when valid
	}{
		{"the defaults are valid", func(*Config) {}, nil},
		{"a gap of one second is accepted", func(c *Config) { c.Gap = time.Second }, nil},
		{"a gap below one second is rejected", func(c *Config) { c.Gap = 999 * time.Millisecond },
			[]string{"CHATPULSE_SESSION_GAP: must be at least 1s, got 999ms"}},
		{"a zero gap is rejected", func(c *Config) { c.Gap = 0 }, []string{"CHATPULSE_SESSION_GAP: must be at least 1s"}},
		{"a negative gap is rejected", func(c *Config) { c.Gap = -time.Hour }, []string{"CHATPULSE_SESSION_GAP: must be at least 1s"}},
		{"no lateness is accepted", func(c *Config) { c.Lateness = 0 }, nil},
		{"a lateness of a day is accepted", func(c *Config) { c.Lateness = 24 * time.Hour }, nil},
		{"a negative lateness is rejected", func(c *Config) { c.Lateness = -time.Millisecond },
			[]string{"CHATPULSE_SESSION_LATENESS: must be between 0 and 24h0m0s, got -1ms"}},
		{"a lateness over a day is rejected", func(c *Config) { c.Lateness = 24*time.Hour + time.Second },
			[]string{"CHATPULSE_SESSION_LATENESS: must be between 0 and 24h0m0s"}},
		{"both fields wrong are both reported", func(c *Config) { c.Gap, c.Lateness = 0, -1 },
			[]string{"CHATPULSE_SESSION_GAP: ", "CHATPULSE_SESSION_LATENESS: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
