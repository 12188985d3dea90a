// Package event defines the canonical chat event: every input format decodes into it, and every
// later stage reads only it, never a source's own shape.
package event
