package gen

// In the engagement traffic, a user's message to a bot or agent is usually answered, as in a
// real support chat: a bot within seconds, an agent within minutes (an agent who takes a
// conversation over answers its first message minutes after the handover). Each answer takes
// the place of the clock's next message, and the clock's later times follow it, so message
// times stay strictly increasing.
const answerShare = 0.9

// botDelay is how long a bot takes to answer.
func botDelay(g rng) int64 { return g.between(second, 8*second) }

// agentDelay is how long an agent takes to answer: most within two minutes, a few up to ten.
func agentDelay(g rng) int64 { return g.logBetween(20*second, 10*minute) }

// answer takes the clock's next message for an answer delay after a message at t, returns the
// answer's time and keeps the clock's later times after it.
func (c *clock) answer(g rng, t, delay int64) int64 {
	c.next(g)
	at := t + delay
	c.t = max(c.t, at)
	return at
}
