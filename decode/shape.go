package decode

// hasTopLevelKeys reports whether value is a JSON object with both keys at its top level. It reads only
// until it has seen them, so a record whose large parts come after its envelope keys costs a few bytes; it
// checks no more of the syntax than it needs to find keys, leaving validity to the decoder.
func hasTopLevelKeys(value []byte, a, b string) bool {
	i := skipSpace(value, 0)
	if i >= len(value) || value[i] != '{' {
		return false
	}
	depth, atKey := 1, true // atKey: the next string at depth 1 is a key
	seenA, seenB := false, false
	for i++; i < len(value); i++ {
		switch value[i] {
		case '"':
			j := i + 1
			for j < len(value) && value[j] != '"' {
				if value[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(value) {
				return false
			}
			if depth == 1 && atKey {
				key := value[i+1 : j]
				seenA = seenA || string(key) == a
				seenB = seenB || string(key) == b
				if seenA && seenB {
					return true
				}
				atKey = false
			}
			i = j
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return false
			}
		case ',':
			atKey = depth == 1
		}
	}
	return false
}
