// Package pseudonym replaces every user, member and actor id of a decoded event by its keyed
// hash, so that nothing after decoding (the repartition topic, state snapshots, ClickHouse)
// holds a raw user id, while equal ids stay equal and rows still join.
//
// Which ids: a message's sender, a user recipient, a receipt's member, a reaction's actor, every
// actor of a reaction set, a membership's member and a handover's user. A conversation id is
// replaced too when it is made of the event's user ids: Causal Foundry names a one-to-one
// conversation by its sender, or by sender and recipient joined with ':', and Chatlayer names
// every conversation by its end user. Conversation, group, message and tenant ids that the
// sources assign themselves (Expertflow's conversationId, Voipbin's chat_id, Causal Foundry's
// group ids) are not user ids and are kept. Chatlayer's message ids, which the decoder derives
// from the user id, the time and the text, are replaced by the keyed hash of the derived id.
package pseudonym
