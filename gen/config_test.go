package gen_test

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/gen"
)

func TestDefaultConfigMatchesItsTags(t *testing.T) {
	want := gen.DefaultConfig()
	var fromTags gen.Config
	v := reflect.ValueOf(&fromTags).Elem()
	for i := range v.NumField() {
		field := v.Type().Field(i)
		tag, ok := field.Tag.Lookup("default")
		if !ok || field.Tag.Get("envconfig") == "" {
			t.Fatalf("%s lacks a default or envconfig tag", field.Name)
		}
		var err error
		switch f := v.Field(i); f.Interface().(type) {
		case time.Time:
			var ts time.Time
			ts, err = time.Parse(time.RFC3339, tag)
			f.Set(reflect.ValueOf(ts))
		case int, int64:
			var n int64
			n, err = strconv.ParseInt(tag, 10, 64)
			f.SetInt(n)
		case float64:
			var x float64
			x, err = strconv.ParseFloat(tag, 64)
			f.SetFloat(x)
		default:
			t.Fatalf("%s has a type this test does not know", field.Name)
		}
		if err != nil {
			t.Fatalf("%s: %v", field.Name, err)
		}
	}
	if !reflect.DeepEqual(fromTags, want) {
		t.Fatalf("tags give %+v, DefaultConfig gives %+v", fromTags, want)
	}
	if err := want.Validate(); err != nil {
		t.Fatalf("the default config is invalid: %v", err)
	}
}

func TestValidateNamesTheVariable(t *testing.T) {
	tests := []struct {
		name   string
		change func(*gen.Config)
		want   string
	}{
		{"a zero start is rejected", func(c *gen.Config) { c.Start = time.Time{} }, "CHATPULSE_GEN_START: "},
		{"a single user is rejected", func(c *gen.Config) { c.Users = 1 }, "CHATPULSE_GEN_USERS: "},
		{"negative bots are rejected", func(c *gen.Config) { c.Bots = -1 }, "CHATPULSE_GEN_BOTS: "},
		{"negative groups are rejected", func(c *gen.Config) { c.Groups = -1 }, "CHATPULSE_GEN_GROUPS: "},
		{"zero messages are rejected", func(c *gen.Config) { c.Messages = 0 }, "CHATPULSE_GEN_MESSAGES: "},
		{"a duplicate rate above one is rejected", func(c *gen.Config) { c.DuplicateRate = 1.5 }, "CHATPULSE_GEN_DUPLICATE_RATE: "},
		{"a negative out-of-order rate is rejected", func(c *gen.Config) { c.OutOfOrderRate = -0.1 }, "CHATPULSE_GEN_OUT_OF_ORDER_RATE: "},
		{"out-of-order and late rates above one together are rejected", func(c *gen.Config) { c.OutOfOrderRate, c.LateRate = 0.6, 0.6 }, "CHATPULSE_GEN_LATE_RATE: "},
		{"a skew rate that is not a number is rejected", func(c *gen.Config) { c.SkewRate = math.NaN() }, "CHATPULSE_GEN_SKEW_RATE: "},
		{"an orphan rate above one is rejected", func(c *gen.Config) { c.OrphanRate = 2 }, "CHATPULSE_GEN_ORPHAN_RATE: "},
		{"a negative bad rate is rejected", func(c *gen.Config) { c.BadRate = -1 }, "CHATPULSE_GEN_BAD_RATE: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := gen.DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tt.want)
			}
			for _, format := range allFormats {
				if _, err := gen.Generate(format, cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("%s: error %v, want one naming %s", format, err, tt.want)
				}
			}
		})
	}
}
