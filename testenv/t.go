package testenv

// T is the part of testing.TB that testenv's test helpers use. Taking it instead of testing.TB
// keeps the testing package out of the chatpulse binary, whose demo and bench commands start
// ClickHouse and kfake through this package.
type T interface {
	Helper()
	Cleanup(func())
	Error(args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
	Failed() bool
	Name() string
}
