// Package sessionize turns one partition's user activity into sessions by event time,
// deterministically, so that a replay yields the same sessions.
package sessionize
