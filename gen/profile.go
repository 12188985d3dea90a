package gen

// profile switches the traffic shape a format's generator draws. The zero profile is the
// original traffic; Engagement sets engage.
type profile struct {
	// engage keeps every record that carries a message within a few seconds of that message's
	// time in record order (no reply, reaction or VoIPbin update before its message, copies and
	// replays soon after the original), and adds membership churn and a scripted session pair.
	engage bool
}

// resendWithin bounds how long after the original an engagement copy, replay or VoIPbin update
// arrives.
const resendWithin = 10 * second
