// Package backoff retries an operation that fails for a while, waiting twice as long after
// each failure up to a ceiling, until it succeeds, fails for good, or its context ends.
package backoff
