package gen

// Pacing of message times over one or several days.

const (
	minPause = 31 * minute // a pause between bursts always splits a session (gap 30 minutes)
	maxPause = 3 * hour
	// maxPauses bounds the pauses drawn per day, so that a day's bursts fit in about half a day.
	maxPauses = 6
)

// clock draws strictly increasing message times. One day keeps the original pacing: a mean
// gap of at most a minute, any size within two days. Several days give message i the day
// i*days/n; each day starts firstMessageAfter past Start plus that many days (or where the
// previous day's traffic ended) and runs in bursts separated by pauses longer than a session
// gap.
type clock struct {
	start   int64
	days, n int
	lo      int64 // the smallest step
	floor   int64 // the smallest mean gap
	i       int   // messages drawn so far
	day     int   // day of the latest message
	t       int64
	meanGap int64
	pause   float64 // chance of a pause before a message
}

func newClock(cfg Config, n int, lo, floor int64) *clock {
	c := &clock{start: cfg.Start.UnixMilli(), days: cfg.days(), n: n, lo: lo, floor: floor}
	c.t = c.start + firstMessageAfter
	if c.days == 1 {
		c.meanGap = max(min(minute, 2*day/int64(n)), floor)
	}
	return c
}

// next returns the time of the next message.
func (c *clock) next(g rng) int64 {
	if c.days > 1 {
		d := c.i * c.days / c.n
		if c.i == 0 || d != c.day {
			c.day = d
			q := int64(c.firstOf(d+1) - c.firstOf(d))
			c.meanGap = max(min(minute, day/2/q), c.floor)
			c.pause = min(0.1, maxPauses/float64(q))
			c.t = max(c.t, c.start+int64(d)*day+firstMessageAfter)
		} else if g.chance(c.pause) {
			c.t += g.between(minPause, maxPause)
		}
	}
	c.t += g.between(c.lo, 2*c.meanGap-c.lo)
	c.i++
	return c.t
}

// firstOf is the first message of day d.
func (c *clock) firstOf(d int) int { return (d*c.n + c.days - 1) / c.days }

// available is how many of n actors, in creation order, take part in new conversations on the
// clock's current day: all with one day, otherwise a share growing day by day (at least two),
// so that later days bring new users while earlier ones come back.
func (c *clock) available(n int) int {
	if c.days == 1 {
		return n
	}
	return min(n, max(2, (n*(c.day+1)+c.days-1)/c.days))
}
