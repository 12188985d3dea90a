package sink

import (
	"crypto/rand"
	"encoding/hex"
)

// randomHex is n random bytes in hex: query ids and the migration lock's names. crypto/rand's
// Read never fails (it crashes the program instead), so there is no error to return.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
