package sessionize

import "github.com/chatpulse/chatpulse/route"

// smallSet is how many keys a message set keeps in a slice before it moves them to a map. Up to
// here a linear search is about as fast as a map lookup and the slice costs less than half the
// memory (BENCHMARKS.md); sessions are usually this small.
const smallSet = 32

// msgSet is the set of the messages counted in one session: a slice searched linearly while
// small, a map beyond smallSet.
type msgSet struct {
	small []route.Key
	large map[route.Key]struct{}
}

func (m *msgSet) len() int {
	if m.large != nil {
		return len(m.large)
	}
	return len(m.small)
}

func (m *msgSet) has(k route.Key) bool {
	if m.large != nil {
		_, ok := m.large[k]
		return ok
	}
	for _, x := range m.small {
		if x == k {
			return true
		}
	}
	return false
}

// add adds k, which the caller knows is not in the set.
func (m *msgSet) add(k route.Key) {
	if m.large != nil {
		m.large[k] = struct{}{}
		return
	}
	if len(m.small) < smallSet {
		m.small = append(m.small, k)
		return
	}
	m.large = make(map[route.Key]struct{}, 2*smallSet)
	for _, x := range m.small {
		m.large[x] = struct{}{}
	}
	m.large[k] = struct{}{}
	m.small = nil
}

// union adds every key of o, which the caller knows shares none with m.
func (m *msgSet) union(o *msgSet) {
	for _, k := range o.small {
		m.add(k)
	}
	for k := range o.large {
		m.add(k)
	}
}
