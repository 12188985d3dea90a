package secret

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Redacted is what every rendering of a secret prints.
const Redacted = "[redacted]"

// Value is a credential. Its zero value is the empty secret. The field is unexported so that
// reflection-based encoders cannot reach it either.
type Value struct {
	s string
}

// New wraps s.
func New(s string) Value { return Value{s} }

// Reveal returns the credential itself, for the one place that hands it to a client library.
func (v Value) Reveal() string { return v.s }

// IsZero reports whether the secret is empty.
func (v Value) IsZero() bool { return v.s == "" }

// Len is the credential's length in bytes, for checks that must not see its content.
func (v Value) Len() int { return len(v.s) }

// Decode reads the value of an environment variable; envconfig calls it.
func (v *Value) Decode(s string) error {
	v.s = s
	return nil
}

func (v Value) String() string   { return Redacted }
func (v Value) GoString() string { return Redacted }

// Format prints Redacted for every verb, including %v, %+v, %#v, %q and %x.
func (v Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

func (v Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// File is a secret read from the file an environment variable names. The file is read once,
// when the variable is decoded; one trailing newline is dropped, as editors and `echo` add it.
type File struct {
	Value
	path string
}

// ReadFile reads the secret in the file at path.
func ReadFile(path string) (File, error) {
	var f File
	return f, f.Decode(path)
}

// Decode reads the file at path; envconfig calls it with the variable's value. The error names
// the path, never the content.
func (f *File) Decode(path string) error {
	if path == "" {
		*f = File{}
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read secret file: %w", err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	s = strings.TrimSuffix(s, "\r")
	if s == "" {
		return fmt.Errorf("secret file %s is empty", path)
	}
	*f = File{Value: Value{s}, path: path}
	return nil
}

// Path is the file the secret was read from, "" when none was given.
func (f File) Path() string { return f.path }

// IsSet reports whether a file was given.
func (f File) IsSet() bool { return f.path != "" }

// ErrBothSet is returned by Pick when a secret is given both directly and as a file.
var ErrBothSet = errors.New("both are set; set only one")

// Pick returns the secret given either in the variable valueVar or in the file fileVar names.
// Both given is an error naming both variables: neither silently wins.
func Pick(valueVar string, v Value, fileVar string, f File) (Value, error) {
	if !v.IsZero() && f.IsSet() {
		return Value{}, fmt.Errorf("%s and %s: %w", valueVar, fileVar, ErrBothSet)
	}
	if f.IsSet() {
		return f.Value, nil
	}
	return v, nil
}
