// Package secret holds credentials so that printing, logging or encoding them, alone or inside a
// configuration struct, shows "[redacted]"; only an explicit Reveal gives the value.
package secret
