// Package route sends every canonical event to the partition that owns its state key, in a
// compact internal encoding, so that a message and everything that refers to it meet in one place.
package route
