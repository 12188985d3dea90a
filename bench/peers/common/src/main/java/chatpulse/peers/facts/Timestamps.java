package chatpulse.peers.facts;

import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * Event-time parsing with chatpulse's rules: a date-time with a zone ("2024-02-13 15:09:20Z", RFC 3339,
 * "T" or a space between date and time, an optional fraction of which milliseconds count), a decimal
 * string of epoch milliseconds, or a JSON number of epoch milliseconds (a fraction is floored).
 */
public final class Timestamps {
    /** 2000-01-01T00:00:00Z: earlier event times are absurd for chat traffic. */
    public static final long MIN_AT_MS = 946_684_800_000L;
    /** 2100-01-01T00:00:00Z, exclusive. */
    public static final long MAX_AT_MS = 4_102_444_800_000L;

    /** Marks a text that is no time. */
    public static final long INVALID = Long.MIN_VALUE;

    private Timestamps() {
    }

    /** Parses a JSON string's text: epoch digits or a date-time with zone; INVALID otherwise. */
    public static long parseString(String s) {
        long ms = parseEpochDigits(s);
        return ms != INVALID ? ms : parseDateTime(s);
    }

    /** Parses a JSON number literal of epoch milliseconds; INVALID when out of range. */
    public static long parseNumber(String literal) {
        long ms = parseEpochDigits(literal);
        if (ms != INVALID) {
            return ms;
        }
        double f;
        try {
            f = Double.parseDouble(literal);
        } catch (NumberFormatException e) {
            return INVALID;
        }
        if (Double.isNaN(f) || Math.abs(f) > 1e18) {
            return INVALID;
        }
        return (long) Math.floor(f);
    }

    /** An optionally negative decimal integer of at most 18 digits, which cannot overflow. */
    static long parseEpochDigits(String s) {
        int i = 0;
        boolean neg = false;
        if (!s.isEmpty() && s.charAt(0) == '-') {
            i = 1;
            neg = true;
        }
        if (s.length() == i || s.length() - i > 18) {
            return INVALID;
        }
        long n = 0;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return INVALID;
            }
            n = n * 10 + (c - '0');
        }
        return neg ? -n : n;
    }

    static long parseDateTime(String s) {
        if (s.length() < 19 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return INVALID;
        }
        char sep = s.charAt(10);
        if (sep != 'T' && sep != 't' && sep != ' ') {
            return INVALID;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int sec = digits(s, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23
                || minute < 0 || minute > 59 || sec < 0 || sec > 59) {
            return INVALID;
        }
        LocalDate date = LocalDate.of(year, month, 1);
        if (day > date.lengthOfMonth()) {
            return INVALID;
        }
        int i = 19;
        int frac = 0;
        if (i < s.length() && s.charAt(i) == '.') {
            i++;
            int start = i;
            for (; i < s.length() && isDigit(s.charAt(i)); i++) {
                if (i - start < 3) {
                    frac = frac * 10 + (s.charAt(i) - '0');
                }
            }
            int n = i - start;
            if (n == 0) {
                return INVALID;
            }
            for (; n < 3; n++) {
                frac *= 10;
            }
        }
        int offset = 0;
        if (i == s.length()) {
            return INVALID; // a zone is required
        }
        char z = s.charAt(i);
        if ((z == 'Z' || z == 'z') && i + 1 == s.length()) {
            offset = 0;
        } else if ((z == '+' || z == '-') && s.length() - i == 6 && s.charAt(i + 3) == ':') {
            int oh = digits(s, i + 1, 2);
            int om = digits(s, i + 4, 2);
            if (oh < 0 || om < 0 || oh > 23 || om > 59) {
                return INVALID;
            }
            offset = oh * 3600 + om * 60;
            if (z == '-') {
                offset = -offset;
            }
        } else {
            return INVALID;
        }
        long epochSec = date.withDayOfMonth(day).atTime(hour, minute, sec).toEpochSecond(ZoneOffset.UTC);
        return epochSec * 1000 + frac - offset * 1000L;
    }

    private static int digits(String s, int at, int n) {
        int v = 0;
        for (int i = at; i < at + n; i++) {
            char c = s.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Whether ms is an event time chatpulse accepts: within [2000, 2100). */
    public static boolean inRange(long ms) {
        return ms >= MIN_AT_MS && ms < MAX_AT_MS;
    }
}
