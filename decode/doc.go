// Package decode turns one raw record of a known input format into canonical events, or into a
// poison error that names why; it never panics and never keeps a message body.
package decode
