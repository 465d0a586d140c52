# shellcheck shell=bash
# Summaries shared by tools/bench.sh and tools/bench_mysql.sh (sourced).

# stats_fmt FMT "1 2 3": min, median and max of the words, through printf
# FMT (three conversions); "-" for an empty list
stats_fmt() {
	# shellcheck disable=SC2086 # a list of words
	printf '%s\n' $2 | sort -g | awk -v fmt="$1" 'NF {v[++n] = $1} END {
		if (n == 0) { print "-"; exit }
		m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		printf fmt "\n", v[1], m, v[n] }'
}
stats() { stats_fmt "%.1f / %.1f / %.1f" "$1"; } # one decimal
stats_int() { stats_fmt "%d / %d / %d" "$1"; }
# stats_p95 "1 2 3": min / median / p95 / max with one decimal (p95 by
# nearest rank: with fewer than 20 values it is the largest but one or the
# largest); "-" for an empty list
stats_p95() {
	# shellcheck disable=SC2086 # a list of words
	printf '%s\n' $1 | sort -g | awk 'NF {v[++n] = $1} END {
		if (n == 0) { print "-"; exit }
		m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		k = int(0.95 * n + 0.999999); if (k < 1) k = 1
		printf "%.1f / %.1f / %.1f / %.1f\n", v[1], m, v[k], v[n] }'
}

# "a>b a>b a>a" -> "a>b x2, a>a" (most frequent first)
pairs_summary() {
	# shellcheck disable=SC2086 # a list of words
	printf '%s\n' $1 | sort | uniq -c | sort -rn |
		awk 'NF {printf "%s%s%s", (NR > 1 ? ", " : ""), $2, ($1 > 1 ? " x" $1 : "")} END {print ""}'
}
