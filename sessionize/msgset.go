package sessionize

import "github.com/chatpulse/chatpulse/route"

// smallSet is how many keys a message set keeps in a slice before it moves them to a map.
// Measured (BenchmarkMsgSetHas, BenchmarkOpenSessionBytes): a linear search over 64 keys takes
// about 20 ns more than a map lookup, and the slice holds them in under a third of the memory.
const smallSet = 64

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
	switch {
	case m.large != nil:
		m.large[k] = struct{}{}
	case len(m.small) < smallSet:
		if len(m.small) == cap(m.small) {
			m.grow()
		}
		m.small = append(m.small, k)
	default:
		m.large = make(map[route.Key]struct{}, len(m.small)+1)
		for _, x := range m.small {
			m.large[x] = struct{}{}
		}
		m.large[k] = struct{}{}
		m.small = nil
	}
}

// grow makes room for more keys by half again rather than append's doubling: sessions hold
// many slices that stop growing, so slack costs more here than copying.
func (m *msgSet) grow() {
	c := cap(m.small)
	if c < 8 {
		c = max(1, 2*c)
	} else {
		c += c / 2
	}
	grown := make([]route.Key, len(m.small), min(c, smallSet))
	copy(grown, m.small)
	m.small = grown
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
