package gen

// member is one name-value pair of an object under construction; value writes the value.
type member struct {
	key   string
	value func(w *jw)
}

// writeObject writes the members in order or, when shuffle is set, in a random order, as
// producers that serialise hash maps do. A member with a nil value is left out.
func writeObject(g rng, w *jw, ms []member, shuffle bool) {
	if shuffle {
		g.r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	}
	w.open()
	for _, m := range ms {
		if m.value == nil {
			continue
		}
		w.key(m.key)
		m.value(w)
	}
	w.close()
}

// set replaces the value of key, or appends the member when there is none.
func set(ms []member, key string, value func(w *jw)) []member {
	for i := range ms {
		if ms[i].key == key {
			ms[i].value = value
			return ms
		}
	}
	return append(ms, member{key, value})
}

func strValue(s string) func(w *jw) { return func(w *jw) { w.str(s) } }
func rawValue(s string) func(w *jw) { return func(w *jw) { w.raw(s) } }
func intValue(v int64) func(w *jw)  { return func(w *jw) { w.int(v) } }
func tsValue(at stamp) func(w *jw)  { return func(w *jw) { w.ts(at) } }

func boolValue(v bool) func(w *jw) {
	if v {
		return rawValue("true")
	}
	return rawValue("false")
}

// render writes the members as one compact JSON object.
func render(g rng, ms []member, shuffle bool) []byte {
	w := &jw{b: make([]byte, 0, 512)}
	writeObject(g, w, ms, shuffle)
	return w.b
}
