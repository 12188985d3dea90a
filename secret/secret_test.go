package secret_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/secret"
)

const credential = "hunter2-credential"

// settings is a configuration struct as a caller might log it whole.
type settings struct {
	User     string
	Password secret.Value
	KeyFile  secret.File
	Ptr      *secret.Value
}

func TestASecretNeverPrintsItsValue(t *testing.T) {
	v := secret.New(credential)
	f := secretFile(t, credential+"\n")
	s := settings{User: "app", Password: v, KeyFile: f, Ptr: &v}
	jsonOf := func(x any) string {
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	logOf := func(h func(*bytes.Buffer) slog.Handler) string {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("config", "cfg", s, "password", v, "ptr", &v)
		return buf.String()
	}
	tests := []struct {
		name, out string
	}{
		{"%v of the value prints the placeholder", fmt.Sprintf("%v", v)},
		{"%s of the value prints the placeholder", fmt.Sprintf("%s", v)},
		{"%q of the value prints the placeholder", fmt.Sprintf("%q", v)},
		{"%x of the value prints the placeholder", fmt.Sprintf("%x", v)},
		{"%#v of the value prints the placeholder", fmt.Sprintf("%#v", v)},
		{"%+v of a struct holding it prints the placeholder", fmt.Sprintf("%+v", s)},
		{"%#v of a struct holding it prints the placeholder", fmt.Sprintf("%#v", s)},
		{"%v of a pointer to the struct prints the placeholder", fmt.Sprintf("%v", &s)},
		{"String prints the placeholder", v.String()},
		{"GoString prints the placeholder", v.GoString()},
		{"JSON of a struct holding it has the placeholder", jsonOf(s)},
		{"a text log line has the placeholder", logOf(func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) })},
		{"a JSON log line has the placeholder", logOf(func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) })},
		{"an error wrapping it has the placeholder", fmt.Errorf("login with %v: %w", v, errors.New("denied")).Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.out, credential) {
				t.Fatalf("the credential leaks: %s", tt.out)
			}
			if !strings.Contains(tt.out, secret.Redacted) {
				t.Fatalf("no %s in %s", secret.Redacted, tt.out)
			}
		})
	}
	if v.Reveal() != credential || f.Reveal() != credential {
		t.Fatalf("Reveal gives %q and %q", v.Reveal(), f.Reveal())
	}
}

func TestASecretFileLosesOneTrailingNewline(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"a file without a newline is taken as it is", "pw", "pw"},
		{"one trailing newline is dropped", "pw\n", "pw"},
		{"a trailing CRLF is dropped", "pw\r\n", "pw"},
		{"only one of two trailing newlines is dropped", "pw\n\n", "pw\n"},
		{"inner and leading whitespace is kept", " p w\n", " p w"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := secretFile(t, tt.content)
			if f.Reveal() != tt.want {
				t.Fatalf("read %q, want %q", f.Reveal(), tt.want)
			}
		})
	}
}

func TestASecretFileThatCannotBeUsedIsAnError(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
	}{
		{"a missing file is an error", filepath.Join(dir, "missing")},
		{"a directory is an error", dir},
		{"a file holding only a newline is an error", empty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secret.ReadFile(tt.path)
			if err == nil {
				t.Fatalf("%s was accepted", tt.path)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("the error does not name the path: %v", err)
			}
		})
	}
}

func TestPickTakesTheOneSecretGiven(t *testing.T) {
	file := secretFile(t, "from-file\n")
	tests := []struct {
		name    string
		value   secret.Value
		file    secret.File
		want    string
		wantErr bool
	}{
		{"neither given is the empty secret", secret.Value{}, secret.File{}, "", false},
		{"a value alone is taken", secret.New("direct"), secret.File{}, "direct", false},
		{"a file alone is taken", secret.Value{}, file, "from-file", false},
		{"both given is an error naming both variables", secret.New("direct"), file, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secret.Pick("CHATPULSE_X_PASSWORD", tt.value, "CHATPULSE_X_PASSWORD_FILE", tt.file)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "CHATPULSE_X_PASSWORD and CHATPULSE_X_PASSWORD_FILE") {
					t.Fatalf("err = %v", err)
				}
				if strings.Contains(err.Error(), "direct") || strings.Contains(err.Error(), "from-file") {
					t.Fatalf("the error shows a secret: %v", err)
				}
				return
			}
			if err != nil || got.Reveal() != tt.want {
				t.Fatalf("got %q, %v; want %q", got.Reveal(), err, tt.want)
			}
		})
	}
}

func secretFile(t *testing.T, content string) secret.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := secret.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
