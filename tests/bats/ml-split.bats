#!/usr/bin/env bats
# ml-split: every option, every bad input.

load helper

setup() {
	ml_setup
}

# An independent implementation of ml-split's hash split, after the
# algorithm documented in cmd/ml-split/assign.h: u is the top 53 bits of
# XXH64(key, seed) divided by 2^53; the record goes to the first part i with
# u < the cumulative share of parts 0..i, the last part otherwise.  The key
# is the whole line (no newline, no CR), or the --key field: a string decoded
# to UTF-8, any other value as its bytes in the line.  XXH64 is written out
# here from its specification (not libxxhash, which the program links) and
# checked against published values first.  Prints one part name per record.
write_reference() {
	cat >reference.py <<'EOF'
import json, sys

M = (1 << 64) - 1
P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)

def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M

def rnd(acc, lane):
    return (rotl((acc + lane * P2) & M, 31) * P1) & M

def xxh64(data, seed):
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            for j in range(4):
                v[j] = rnd(v[j], int.from_bytes(data[i + 8 * j:i + 8 * j + 8], "little"))
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for x in v:
            h = (((h ^ rnd(0, x)) * P1) + P4) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h = ((rotl(h ^ rnd(0, int.from_bytes(data[i:i + 8], "little")), 27) * P1) + P4) & M
        i += 8
    if i + 4 <= n:
        h = ((rotl(h ^ (int.from_bytes(data[i:i + 4], "little") * P1 & M), 23) * P2) + P3) & M
        i += 4
    while i < n:
        h = (rotl(h ^ (data[i] * P5 & M), 11) * P1) & M
        i += 1
    h = ((h ^ (h >> 33)) * P2) & M
    h = ((h ^ (h >> 29)) * P3) & M
    return h ^ (h >> 32)

# published values (xxHash's and python-xxhash's documentation)
assert xxh64(b"", 0) == 0xEF46DB3751D8E999
assert xxh64(b"abc", 0) == 0x44BC2CF5AD770999
assert xxh64(b"Nobody inspects the spammish repetition", 0) == 0xFBCEA83C8A378BF1

def unit(seed, key):
    return (xxh64(key, seed) >> 11) / 2.0 ** 53

class Raw(str):
    """A number kept as the text it was written as."""

seed = int(sys.argv[1])
names, cum, total = [], [], 0.0
for item in sys.argv[2].split(","):
    name, share = item.split("=")
    total += float(share)
    names.append(name)
    cum.append(total)
cum[-1] = 1.0
field = sys.argv[3] if len(sys.argv) > 3 else None

for raw in sys.stdin.buffer:
    line = raw[:-1] if raw.endswith(b"\n") else raw
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line.strip(b" \t\r\n"):
        continue
    if field is None:
        key = line
    else:
        v = json.loads(line, parse_int=Raw, parse_float=Raw)[field]
        if isinstance(v, Raw):
            key = v.encode()
        elif isinstance(v, str):
            key = v.encode("utf-8")
        elif isinstance(v, bool):
            key = b"true" if v else b"false"
        else:
            sys.exit("reference.py: unsupported key %r" % (v,))
    u = unit(seed, key)
    part = next((i for i in range(len(names) - 1) if u < cum[i]), len(names) - 1)
    print(names[part])
EOF
}

# Records whose "k" field is of every kind a key can be.
write_mixed_keys() {
	/usr/bin/python3 - >mixed.ndjson <<'EOF'
import json
for i in range(3000):
    kind = i % 6
    if kind == 0:
        k = '"user-%d"' % i
    elif kind == 1:
        k = json.dumps("caf\u00e9 \U0001F600 %d" % i, ensure_ascii=True)    # escapes
    elif kind == 2:
        k = json.dumps("caf\u00e9 \U0001F600 %d" % i, ensure_ascii=False)   # raw UTF-8
    elif kind == 3:
        k = "%d" % (i * 37 - 5000)
    elif kind == 4:
        k = "%d.%d0" % (i, i % 7)                                           # 12.30 stays 12.30
    else:
        k = "%de%d" % (i, i % 4)
    print('{"n":%d,"k":%s}' % (i, k))
EOF
}

# --- hash split: what goes where -------------------------------------------

@test "every record lands in exactly one part and the parts together are the input" {
	gen_records 1000 >in.ndjson
	run --separate-stderr ml-split --ratio train=0.6,valid=0.3,test=0.1 \
		-o train=train.ndjson -o valid=valid.ndjson -o test=test.ndjson in.ndjson
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" ""
	assert_equal $(($(nlines train.ndjson) + $(nlines valid.ndjson) + $(nlines test.ndjson))) 1000
	assert_same_lines in.ndjson train.ndjson valid.ndjson test.ndjson
	assert_no_temp_files
}

@test "a part keeps the records in their input order" {
	gen_records 500 >in.ndjson
	ml-split --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=b.ndjson in.ndjson
	grep -Fx -f a.ndjson in.ndjson >a.expected
	grep -Fx -f b.ndjson in.ndjson >b.expected
	assert_bytes_equal a.expected a.ndjson
	assert_bytes_equal b.expected b.ndjson
}

@test "records are written byte for byte as they were read" {
	printf '%s\n' '{ "id" : 1 , "x" : 1.50e+00 , "s" : "\u00e9" }' \
		'{"id":2,"x":-0.0,"nested":{"a":[1, 2]}}' >in.ndjson
	ml-split --ratio all=1 -o all=out.ndjson in.ndjson
	assert_bytes_equal in.ndjson out.ndjson
}

@test "shares are respected within two percent on 10000 records" {
	gen_records 10000 >in.ndjson
	ml-split --ratio train=0.7,valid=0.2,test=0.1 \
		-o train=train.ndjson -o valid=valid.ndjson -o test=test.ndjson in.ndjson
	local n
	for part in train:7000 valid:2000 test:1000; do
		n=$(nlines "${part%%:*}.ndjson")
		if ((n < ${part#*:} - 200 || n > ${part#*:} + 200)); then
			fail "${part%%:*} has $n records, expected about ${part#*:}"
		fi
	done
}

@test "a part with share 0 gets no records and its file is still written" {
	gen_records 300 >in.ndjson
	ml-split --ratio a=0,b=1,c=0 -o a=a.ndjson -o b=b.ndjson -o c=c.ndjson in.ndjson
	assert [ -f a.ndjson ]
	assert [ -f c.ndjson ]
	assert_equal "$(nlines a.ndjson)" 0
	assert_equal "$(nlines c.ndjson)" 0
	assert_bytes_equal in.ndjson b.ndjson
}

@test "records with the same key go to the same part" {
	awk 'BEGIN { for (i = 0; i < 1000; i++) printf "{\"n\":%d,\"user\":\"u%d\"}\n", i, i % 50 }' >in.ndjson
	ml-split --key user --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=b.ndjson in.ndjson
	jq -r .user a.ndjson | sort -u >a.keys
	jq -r .user b.ndjson | sort -u >b.keys
	assert [ -s a.keys ]
	assert [ -s b.keys ]
	run comm -12 a.keys b.keys
	assert_output ""
	assert_same_lines in.ndjson a.ndjson b.ndjson
}

@test "a numeric key keeps records together too" {
	awk 'BEGIN { for (i = 0; i < 600; i++) printf "{\"n\":%d,\"g\":%d}\n", i, i % 30 }' >in.ndjson
	ml-split --key g --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=b.ndjson in.ndjson
	run comm -12 <(jq .g a.ndjson | sort -u) <(jq .g b.ndjson | sort -u)
	assert_output ""
	assert [ -s a.ndjson ]
	assert [ -s b.ndjson ]
}

@test "a string key is decoded, so \"a\\u0062\" and \"ab\" go together" {
	# 200 pairs: one key written plainly, its twin with an escape
	awk 'BEGIN { for (i = 0; i < 200; i++) {
		printf "{\"n\":%d,\"k\":\"ab%d\"}\n", 2 * i, i
		printf "{\"n\":%d,\"k\":\"a\\u0062%d\"}\n", 2 * i + 1, i } }' >in.ndjson
	grep -c 'a\\u0062' in.ndjson
	ml-split --key k --ratio a=0.5,b=0.5 --tag part <in.ndjson >out.ndjson
	# same decoded key, same part: one line per distinct (key, part)
	run bash -c "jq -r '[.k, .part] | @tsv' out.ndjson | sort -u | cut -f1 | uniq -d"
	assert_output ""
	assert_equal "$(jq -r '[.k, .part] | @tsv' out.ndjson | sort -u | wc -l)" 200
	run jq -r .part out.ndjson
	assert_line a
	assert_line b
}

@test "without --key the whole line is hashed" {
	# the same id with another x, or another spacing, is another record
	awk 'BEGIN { for (i = 0; i < 400; i++) printf "{\"id\":7,\"x\":%d}\n", i }' >in.ndjson
	ml-split --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=b.ndjson in.ndjson
	assert [ -s a.ndjson ]
	assert [ -s b.ndjson ]
	# identical lines always go together
	awk '{ print; print }' in.ndjson >twice.ndjson
	ml-split --ratio a=0.5,b=0.5 -o a=a2.ndjson -o b=b2.ndjson twice.ndjson
	run diff <(awk '{ print; print }' a.ndjson) a2.ndjson
	assert_success
	run diff <(awk '{ print; print }' b.ndjson) b2.ndjson
	assert_success
}

@test "another --seed gives another assignment" {
	gen_records 2000 >in.ndjson
	ml-split --ratio a=0.5,b=0.5 -o a=a0.ndjson -o b=b0.ndjson in.ndjson
	ml-split --seed 1 --ratio a=0.5,b=0.5 -o a=a1.ndjson -o b=b1.ndjson in.ndjson
	run cmp -s a0.ndjson a1.ndjson
	assert_failure
	# about half the records change part
	local moved
	moved=$(comm -23 <(sort a0.ndjson) <(sort a1.ndjson) | wc -l)
	((moved > 300 && moved < 700)) || fail "$moved of about 1000 records moved"
}

@test "the same seed reproduces byte-identical files" {
	gen_records 2000 >in.ndjson
	for run in 1 2; do
		ml-split --seed 42 --key id --ratio a=0.8,b=0.2 -o a=a$run.ndjson -o b=b$run.ndjson in.ndjson
	done
	assert_bytes_equal a1.ndjson a2.ndjson
	assert_bytes_equal b1.ndjson b2.ndjson
}

@test "the default seed is 0" {
	gen_records 500 >in.ndjson
	ml-split --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=b.ndjson in.ndjson
	ml-split --seed 0 --ratio a=0.5,b=0.5 -o a=a0.ndjson -o b=b0.ndjson in.ndjson
	assert_bytes_equal a.ndjson a0.ndjson
	assert_bytes_equal b.ndjson b0.ndjson
}

@test "a record keeps its part when other records are added or removed" {
	gen_records 3000 >all.ndjson
	awk 'NR % 3 == 0' all.ndjson >some.ndjson
	for f in all some; do
		ml-split --ratio a=0.5,b=0.3,c=0.2 \
			-o a=$f.a.ndjson -o b=$f.b.ndjson -o c=$f.c.ndjson $f.ndjson
	done
	for p in a b c; do
		assert [ -s some.$p.ndjson ]
		grep -Fx -f some.ndjson all.$p.ndjson >all.$p.of-some || true
		assert_bytes_equal some.$p.ndjson all.$p.of-some
	done
}

@test "a record keeps its part with --key when other records are added" {
	gen_records 2000 >all.ndjson
	awk 'NR % 2 == 1' all.ndjson | tac >some.ndjson
	ml-split --key s --ratio a=0.5,b=0.5 --tag part <all.ndjson >all.tagged
	ml-split --key s --ratio a=0.5,b=0.5 --tag part <some.ndjson >some.tagged
	run diff <(jq -r '"\(.s) \(.part)"' some.tagged | sort) \
		<(jq -r '"\(.s) \(.part)"' all.tagged | grep -Fx -f <(jq -r '"\(.s) \(.part)"' some.tagged) | sort)
	assert_success
	assert_equal "$(jq -r '"\(.s) \(.part)"' some.tagged | sort | join - <(jq -r '"\(.s) \(.part)"' all.tagged | sort) | wc -l)" 1000
}

# --- the hash itself ---------------------------------------------------------

@test "the whole-line hash agrees with an independent Python implementation" {
	write_reference
	gen_records 5000 >in.ndjson
	for seed in 0 1 42 18446744073709551615; do
		/usr/bin/python3 reference.py "$seed" train=0.7,valid=0.2,test=0.1 <in.ndjson >expected.parts
		ml-split --seed "$seed" --ratio train=0.7,valid=0.2,test=0.1 --tag part <in.ndjson |
			jq -r .part >actual.parts
		assert_bytes_equal expected.parts actual.parts
	done
}

@test "the --key hash agrees with Python for strings, escapes, UTF-8 and numbers" {
	write_reference
	write_mixed_keys
	for seed in 0 7 9223372036854775808; do
		/usr/bin/python3 reference.py "$seed" a=0.25,b=0.25,c=0.5 k <mixed.ndjson >expected.parts
		ml-split --seed "$seed" --key k --ratio a=0.25,b=0.25,c=0.5 --tag part <mixed.ndjson |
			jq -r .part >actual.parts
		assert_bytes_equal expected.parts actual.parts
	done
}

@test "the files of -o NAME=FILE hold what the Python implementation assigns" {
	write_reference
	gen_records 3000 >in.ndjson
	/usr/bin/python3 reference.py 5 x=0.1,y=0.9 id <in.ndjson >parts
	paste -d' ' parts in.ndjson | awk '$1 == "x" { sub(/^x /, ""); print }' >x.expected
	paste -d' ' parts in.ndjson | awk '$1 == "y" { sub(/^y /, ""); print }' >y.expected
	ml-split --seed 5 --key id --ratio x=0.1,y=0.9 -o x=x.ndjson -o y=y.ndjson in.ndjson
	assert_bytes_equal x.expected x.ndjson
	assert_bytes_equal y.expected y.ndjson
}

@test "the hash gives the documented values exactly" {
	# u for a few keys, worked out once from the documented algorithm:
	# a part whose share is exactly u does not get the record (u < share
	# fails), one whose share is the next double up does.
	check_u() { # SEED RECORD KEY-OPTION U U-NEXT
		local seed=$1 record=$2 key=$3 u=$4 next=$5
		printf '%s\n' "$record" >one.ndjson
		# shellcheck disable=SC2086
		run ml-split --seed "$seed" $key --ratio "lo=$u,hi=$(awk "BEGIN { printf \"%.17g\", 1 - $u }")" --tag p one.ndjson
		assert_output --partial '"p":"hi"}'
		# shellcheck disable=SC2086
		run ml-split --seed "$seed" $key --ratio "lo=$next,hi=$(awk "BEGIN { printf \"%.17g\", 1 - $next }")" --tag p one.ndjson
		assert_output --partial '"p":"lo"}'
	}
	check_u 0 '{"k":"ab"}' "--key k" 0.3983006949009119 0.39830069490091197
	check_u 1 '{"k":"a\u0062"}' "--key k" 0.08521576136492304 0.08521576136492305
	check_u 0 '{"id":1}' "" 0.7169246025313211 0.7169246025313212
	check_u 18446744073709551615 '{"k":"caf\u00e9"}' "--key k" 0.1356135695889824 0.13561356958898244
}

# --- --tag -------------------------------------------------------------------

@test "--tag writes every record to stdout with its part's name appended" {
	gen_records 500 >in.ndjson
	run --separate-stderr ml-split --ratio train=0.8,test=0.2 --tag part in.ndjson
	assert_success
	assert_equal "$stderr" ""
	echo "$output" >out.ndjson
	assert_equal "$(nlines out.ndjson)" 500
	sed -E 's/,"part":"(train|test)"}$/}/' out.ndjson >stripped.ndjson
	assert_bytes_equal in.ndjson stripped.ndjson
	run jq -r .part out.ndjson
	assert_line train
	assert_line test
}

@test "--tag assigns the same parts as -o NAME=FILE" {
	gen_records 1000 >in.ndjson
	ml-split --ratio train=0.8,test=0.2 --tag part in.ndjson >tagged.ndjson
	ml-split --ratio train=0.8,test=0.2 -o train=train.ndjson -o test=test.ndjson in.ndjson
	for p in train test; do
		grep "\"part\":\"$p\"}\$" tagged.ndjson | sed "s/,\"part\":\"$p\"}\$/}/" >$p.from-tag
		assert_bytes_equal $p.ndjson $p.from-tag
	done
}

@test "--tag with -o FILE writes the tagged stream to the file and nothing to stdout" {
	gen_records 300 >in.ndjson
	ml-split --ratio a=0.5,b=0.5 --tag part in.ndjson >expected.ndjson
	run --separate-stderr ml-split --ratio a=0.5,b=0.5 --tag part -o out.ndjson in.ndjson
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" ""
	assert_bytes_equal expected.ndjson out.ndjson
	assert_no_temp_files
}

@test "--tag replaces an existing field in place" {
	printf '%s\n' '{"part":"old","id":1,"x":2}' '{"id":2, "part" : null ,"x":3}' \
		'{"id":3,"part":{"deep":[1,{"part":0}]},"x":4}' '{"id":4,"x":5,"part":12.5}' >in.ndjson
	run ml-split --ratio only=1 --tag part in.ndjson
	assert_success
	assert_equal "$output" "$(printf '%s\n' '{"part":"only","id":1,"x":2}' \
		'{"id":2, "part" : "only" ,"x":3}' '{"id":3,"part":"only","x":4}' \
		'{"id":4,"x":5,"part":"only"}')"
}

@test "--tag writes a field the record has twice once, where it last was" {
	printf '%s\n' '{"part":1,"x":2,"part":"a"}' '{"p\u0061rt":1, "x":2, "part":0, "y":3}' >in.ndjson
	run ml-split --ratio only=1 --tag part in.ndjson
	assert_success
	assert_equal "$output" "$(printf '%s\n' '{"x":2,"part":"only"}' '{"x":2, "part":"only", "y":3}')"
}

@test "--tag on an empty object gives an object with the one field" {
	printf '{}\n{ }\n' >in.ndjson
	run ml-split --ratio only=1 --tag part in.ndjson
	assert_success
	assert_equal "$output" "$(printf '%s\n' '{"part":"only"}' '{"part":"only"}')"
}

@test "--tag with a field name that needs escaping still writes valid JSON" {
	printf '{"id":1}\n' >in.ndjson
	run --separate-stderr ml-split --ratio only=1 --tag 'say "hi"\now' in.ndjson
	assert_success
	echo "$output" >out.ndjson
	assert_json_lines out.ndjson
	assert_equal "$(jq -r '.["say \"hi\"\\now"]' out.ndjson)" only
}

@test "--tag with a part name that needs escaping still writes valid JSON" {
	printf '{"id":1}\n' >in.ndjson
	run ml-split --ratio 'a "quoted" part=1' --tag part in.ndjson
	assert_success
	assert_output '{"id":1,"part":"a \"quoted\" part"}'
}

# --- --by and --cut ----------------------------------------------------------

@test "--by with a number cut sends smaller values to the first part, the cut itself to the second" {
	printf '{"v":%s}\n' -5 0 9 9.99 10 10.0 1e1 100 >in.ndjson
	ml-split --by v --cut 10 -o train=train.ndjson -o test=test.ndjson in.ndjson
	assert_equal "$(cat train.ndjson)" "$(printf '{"v":%s}\n' -5 0 9 9.99)"
	assert_equal "$(cat test.ndjson)" "$(printf '{"v":%s}\n' 10 10.0 1e1 100)"
}

@test "--by compares ISO dates as strings" {
	printf '{"d":"%s"}\n' 2025-12-31 2026-01-01 2025-12-31T23:59:59Z 2026-01-01T00:00:00Z 2026-06-01 2019-01-01 >in.ndjson
	ml-split --by d --cut 2026-01-01 -o train=train.ndjson -o test=test.ndjson in.ndjson
	assert_equal "$(cat train.ndjson)" "$(printf '{"d":"%s"}\n' 2025-12-31 2025-12-31T23:59:59Z 2019-01-01)"
	assert_equal "$(cat test.ndjson)" "$(printf '{"d":"%s"}\n' 2026-01-01 2026-01-01T00:00:00Z 2026-06-01)"
}

@test "--by decodes a string before comparing it" {
	printf '%s\n' '{"d":"2025\u002d12-31"}' '{"d":"\u0032026-01-02"}' >in.ndjson
	ml-split --by d --cut 2026-01-01 --tag part <in.ndjson >out.ndjson
	run jq -r .part out.ndjson
	assert_output "$(printf 'train\ntest')"
}

@test "several cuts make several parts named by --parts" {
	printf '{"d":"%s"}\n' 2023-05-01 2024-01-01 2024-07-01 2025-01-01 2026-03-01 >in.ndjson
	ml-split --by d --cut 2024-01-01 --cut 2025-01-01 --parts old,mid,new \
		-o old=old.ndjson -o mid=mid.ndjson -o new=new.ndjson in.ndjson
	assert_equal "$(cat old.ndjson)" '{"d":"2023-05-01"}'
	assert_equal "$(cat mid.ndjson)" "$(printf '{"d":"%s"}\n' 2024-01-01 2024-07-01)"
	assert_equal "$(cat new.ndjson)" "$(printf '{"d":"%s"}\n' 2025-01-01 2026-03-01)"
}

@test "several number cuts compare as numbers" {
	printf '{"v":%s}\n' 1 2 15 100 250 1000 >in.ndjson
	run ml-split --by v --cut 2 --cut 100 --cut 999.5 --parts a,b,c,d --tag p in.ndjson
	assert_success
	assert_equal "$output" "$(printf '%s\n' '{"v":1,"p":"a"}' '{"v":2,"p":"b"}' '{"v":15,"p":"b"}' \
		'{"v":100,"p":"c"}' '{"v":250,"p":"c"}' '{"v":1000,"p":"d"}')"
}

@test "one cut without --parts makes the parts train and test, usable with -o" {
	printf '{"v":%s}\n' 1 5 >in.ndjson
	run --separate-stderr ml-split --by v --cut 3 -o train=train.ndjson -o test=test.ndjson in.ndjson
	assert_success
	assert_equal "$(cat train.ndjson)" '{"v":1}'
	assert_equal "$(cat test.ndjson)" '{"v":5}'
}

@test "several cuts without --parts make the parts part1, part2, ..." {
	printf '{"v":%s}\n' 1 5 9 >in.ndjson
	run ml-split --by v --cut 3 --cut 6 --tag p in.ndjson
	assert_output "$(printf '%s\n' '{"v":1,"p":"part1"}' '{"v":5,"p":"part2"}' '{"v":9,"p":"part3"}')"
	run --separate-stderr ml-split --by v --cut 3 --cut 6 -o part1=1.ndjson -o part2=2.ndjson -o part3=3.ndjson in.ndjson
	assert_success
	assert_equal "$(cat 1.ndjson 2.ndjson 3.ndjson)" "$(cat in.ndjson)"
}

@test "a record without the --by field is an error naming file and line" {
	printf '{"v":1}\n{"w":2}\n' >in.ndjson
	run --separate-stderr ml-split --by v --cut 3 -o train=a.ndjson -o test=b.ndjson in.ndjson
	assert_equal "$status" 2
	assert_equal "$stderr" "ml-split: in.ndjson:2: record has no 'v' (the --by field needs a number or a string)"
	assert [ ! -e a.ndjson ]
	assert_no_temp_files
}

@test "a null or boolean --by field is an error naming file and line" {
	printf '{"v":null}\n' >null.ndjson
	run --separate-stderr ml-split --by v --cut 3 --tag p null.ndjson
	assert_equal "$status" 2
	assert_equal "$stderr" "ml-split: null.ndjson:1: record has a null 'v' (the --by field needs a number or a string)"
	printf '{"v":2}\n{"v":true}\n' >bool.ndjson
	run --separate-stderr ml-split --by v --cut 3 --tag p bool.ndjson
	assert_equal "$status" 2
	assert_equal "$stderr" "ml-split: bool.ndjson:2: record has a boolean 'v' (the --by field needs a number or a string)"
}

@test "a number compared with a date cut is an error naming file and line" {
	printf '{"d":"2020-01-01"}\n{"d":20200101}\n' >in.ndjson
	run --separate-stderr ml-split --by d --cut 2021-01-01 --tag p in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-split: in\.ndjson:2: 'd' is a number but the cut '2021-01-01' is not"
}

# --- usage errors ------------------------------------------------------------

@test "no --ratio and no --by is a usage error" {
	printf '{"id":1}\n' >in.ndjson
	run --separate-stderr ml-split -o a=a.ndjson in.ndjson
	assert_usage_error
	run --separate-stderr ml-split in.ndjson
	assert_usage_error
	assert_regex "$stderr" "--ratio"
}

@test "shares that do not add up to 1 are a usage error" {
	for ratio in a=0.5,b=0.4 a=0.5,b=0.6 a=2 a=0.999; do
		run --separate-stderr ml-split --ratio "$ratio" -o a=a.ndjson -o b=b.ndjson
		assert_usage_error
		assert_regex "$stderr" "add up to"
	done
	assert [ ! -e a.ndjson ]
}

@test "a negative, missing or non-numeric share is a usage error" {
	for ratio in a=-0.5,b=1.5 a=x,b=1 a=,b=1 a,b=1 a=nan,b=1 a=inf =1; do
		run --separate-stderr ml-split --ratio "$ratio" -o a=a.ndjson -o b=b.ndjson
		assert_usage_error
	done
}

@test "a part named twice is a usage error" {
	run --separate-stderr ml-split --ratio a=0.5,a=0.5 -o a=a.ndjson
	assert_usage_error
	assert_regex "$stderr" "'a' named twice"
}

@test "a part without -o is a usage error" {
	printf '{"id":1}\n' >in.ndjson
	run --separate-stderr ml-split --ratio train=0.8,test=0.2 -o train=train.ndjson in.ndjson
	assert_usage_error
	assert_equal "${stderr_lines[0]}" "ml-split: part 'test' has no output (-o test=FILE)"
	assert [ ! -e train.ndjson ]
}

@test "-o naming an unknown part is a usage error" {
	run --separate-stderr ml-split --ratio train=0.8,test=0.2 -o train=a -o test=b -o valid=c
	assert_usage_error
	assert_regex "${stderr_lines[0]}" "no part named 'valid'"
}

@test "-o naming a part twice is a usage error" {
	run --separate-stderr ml-split --ratio a=0.5,b=0.5 -o a=x1 -o a=x2 -o b=y
	assert_usage_error
}

@test "-o with an empty file name is a usage error" {
	run --separate-stderr ml-split --ratio a=1 -o a=
	assert_usage_error
	run --separate-stderr ml-split --ratio a=1 --tag p -o ''
	assert_usage_error
}

@test "two parts on standard output are a usage error" {
	printf '{"id":1}\n' >in.ndjson
	run --separate-stderr ml-split --ratio a=0.5,b=0.5 -o a=- -o b=- in.ndjson
	assert_usage_error
}

@test "two parts in the same file are a usage error, however the path is spelled" {
	printf '{"id":1}\n' >in.ndjson
	mkdir sub
	for second in out.ndjson ./out.ndjson sub/../out.ndjson "$PWD/out.ndjson"; do
		run --separate-stderr ml-split --ratio a=0.5,b=0.5 -o a=out.ndjson -o "b=$second" in.ndjson
		assert_usage_error
	done
	assert [ ! -e out.ndjson ]
}

@test "--cut without --by is a usage error" {
	run --separate-stderr ml-split --ratio a=1 --cut 5 -o a=a.ndjson
	assert_usage_error
	assert_regex "$stderr" "--cut needs --by"
	run --separate-stderr ml-split --cut 5 --tag p
	assert_usage_error
}

@test "--by without --cut is a usage error" {
	run --separate-stderr ml-split --by v --tag p
	assert_usage_error
	assert_regex "$stderr" "--by needs at least one --cut"
}

@test "descending or repeated cuts are a usage error" {
	for cuts in "--cut 5 --cut 3" "--cut 3 --cut 3" "--cut 2026-01-01 --cut 2025-01-01" "--cut 1 --cut 5 --cut 4"; do
		# shellcheck disable=SC2086
		run --separate-stderr ml-split --by v $cuts --tag p
		assert_usage_error
		assert_regex "$stderr" "ascend"
	done
}

@test "--parts naming another number of parts than the cuts make is a usage error" {
	run --separate-stderr ml-split --by v --cut 3 --parts a,b,c --tag p
	assert_usage_error
	run --separate-stderr ml-split --by v --cut 3 --cut 4 --parts a,b --tag p
	assert_usage_error
}

@test "--parts without --by is a usage error" {
	printf '{"id":1}\n' >in.ndjson
	run --separate-stderr ml-split --parts a,b -o a=a.ndjson -o b=b.ndjson in.ndjson
	assert_usage_error
	assert [ ! -e b.ndjson ]
}

@test "--ratio with --by is a usage error, whatever the shares" {
	for ratio in a=0.5,b=0.5 a=0,b=1; do
		run --separate-stderr ml-split --ratio "$ratio" --by v --cut 1 --tag p
		assert_usage_error
		assert_regex "$stderr" "choose one"
	done
}

@test "--key with --by is a usage error" {
	run --separate-stderr ml-split --key id --by v --cut 1 --tag p
	assert_usage_error
}

@test "--seed with --by is a usage error, as --key is: it would change nothing" {
	run --separate-stderr ml-split --seed 7 --by v --cut 1 --tag p
	assert_usage_error
	assert_regex "$stderr" "--seed goes with --ratio"
}

@test "shares that miss 1 by a little are shown with the digits that miss it" {
	run --separate-stderr ml-split --ratio a=0.5,b=0.5000001 --tag p
	assert_usage_error
	assert_regex "$stderr" "add up to 1.0000001, not 1"
}

@test "-o FILE without --tag is a usage error" {
	printf '{"id":1}\n' >in.ndjson
	run --separate-stderr ml-split --ratio a=1 -o out.ndjson in.ndjson
	assert_usage_error
	assert_regex "${stderr_lines[0]}" "-o out.ndjson: name the part"
	assert [ ! -e out.ndjson ]
}

@test "-o NAME=FILE with --tag is a usage error" {
	run --separate-stderr ml-split --ratio a=1 --tag p -o a=out.ndjson
	assert_usage_error
	run --separate-stderr ml-split --ratio a=1 --tag p -o x.ndjson -o y.ndjson
	assert_usage_error
}

@test "a negative or non-numeric seed is a usage error" {
	for seed in -1 x 1.5 0x10 '' 18446744073709551616; do
		run --separate-stderr ml-split --seed "$seed" --ratio a=1 --tag p
		assert_usage_error
		assert_regex "$stderr" "--seed"
	done
}

@test "a seed with a space before its minus sign is a usage error" {
	# strtoull skips the blank and negates: ' -1' would become 2^64 - 1
	run --separate-stderr ml-split --seed ' -1' --ratio a=1 --tag p </dev/null
	assert_usage_error
}

@test "a missing option argument is a usage error" {
	run --separate-stderr ml-split --ratio
	assert_usage_error
	assert_regex "$stderr" "Try 'ml-split --help'"
}

# --- bad input ---------------------------------------------------------------

@test "a malformed JSON line is an error naming file and line" {
	printf '{"id":1}\n{"id":2}\n{"id":3,}\n{"id":4}\n' >in.ndjson
	run --separate-stderr ml-split --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=b.ndjson in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-split: in\.ndjson:3: malformed JSON'
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$output" ""
	assert [ ! -e a.ndjson ]
	assert [ ! -e b.ndjson ]
	assert_no_temp_files
}

@test "a malformed line on stdin is named <stdin>" {
	printf '{"id":1}\n\n{"id":2\n' >in.ndjson
	run --separate-stderr ml-split --ratio a=1 -o a=a.ndjson <in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-split: <stdin>:3: malformed JSON'
	run --separate-stderr ml-split --ratio a=1 -o a=a.ndjson - <in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-split: <stdin>:3: malformed JSON'
}

@test "line numbers count per file and count blank and CRLF lines" {
	printf '{"id":1}\n' >a.ndjson
	printf '{"id":2}\r\n\r\n   \r\n{"id":3}\r\n[1]\r\n' >b.ndjson
	run --separate-stderr ml-split --ratio a=1 --tag p a.ndjson b.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-split: b\.ndjson:5: '
}

@test "lines that are not objects, or hold more than one value, are malformed" {
	for line in '[1,2]' '"text"' '42' 'null' '{"a":1} {"b":2}' '{"a":1}x' "{'a':1}" \
		'{"a":01}' '{"a":NaN}' '{"a":"\ud800"}' '{"a":1' 'id=1'; do
		printf '{"ok":1}\n%s\n' "$line" >in.ndjson
		run --separate-stderr ml-split --ratio a=1 --tag p -o out.ndjson in.ndjson
		assert_equal "$status" 2
		assert_regex "$stderr" '^ml-split: in\.ndjson:2: '
		assert [ ! -e out.ndjson ]
	done
}

@test "invalid UTF-8 and raw control characters are malformed" {
	printf '{"a":"\xff"}\n' >utf8.ndjson
	run --separate-stderr ml-split --ratio a=1 --tag p utf8.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-split: utf8\.ndjson:1: malformed JSON'
	printf '{"a":"x\ty"}\n' >ctl.ndjson
	run --separate-stderr ml-split --ratio a=1 --tag p ctl.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-split: ctl\.ndjson:1: malformed JSON'
}

@test "a record without the --key field is an error naming file and line" {
	printf '{"id":1}\n{"other":2}\n' >in.ndjson
	run --separate-stderr ml-split --key id --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=b.ndjson in.ndjson
	assert_equal "$status" 2
	assert_equal "$stderr" "ml-split: in.ndjson:2: record has no 'id' (the --key)"
	assert [ ! -e a.ndjson ]
	assert_no_temp_files
}

@test "a null --key field is an error named as null, on stdin as in a file" {
	printf '{"id":1}\n{"id":2}\n{"id":null}\n' >in.ndjson
	run --separate-stderr ml-split --key id --ratio a=1 --tag p <in.ndjson
	assert_equal "$status" 2
	assert_equal "$stderr" "ml-split: <stdin>:3: record has a null 'id' (the --key)"
}

@test "a failed run leaves existing -o files untouched and no temporary files" {
	gen_records 1000 >in.ndjson
	printf 'previous a\n' >a.ndjson
	printf 'previous b\n' >b.ndjson
	cp a.ndjson a.before
	cp b.ndjson b.before
	{ cat in.ndjson; echo '{"broken":'; } >bad.ndjson
	run --separate-stderr ml-split --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=b.ndjson bad.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-split: bad\.ndjson:1001: malformed JSON'
	assert_bytes_equal a.before a.ndjson
	assert_bytes_equal b.before b.ndjson
	assert_no_temp_files
}

@test "a failed --tag run leaves an existing -o file untouched and no temporary files" {
	gen_records 1000 >in.ndjson
	echo '{"old":true}' >out.ndjson
	cp out.ndjson out.before
	{ cat in.ndjson; echo '{"id":"no key"}'; } | sed 's/"id":"no key"/"other":1/' >bad.ndjson
	run --separate-stderr ml-split --key id --ratio a=0.5,b=0.5 --tag part -o out.ndjson bad.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-split: bad\.ndjson:1001: record has no 'id'"
	assert_bytes_equal out.before out.ndjson
	assert_no_temp_files
}

@test "a write error on one part leaves the other part's existing file untouched" {
	gen_records 2000 >in.ndjson
	echo previous >a.ndjson
	cp a.ndjson a.before
	run --separate-stderr ml-split --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=/dev/full in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-split: cannot write '/dev/full'"
	assert_bytes_equal a.before a.ndjson
	assert_no_temp_files
}

@test "a missing input file is an error naming it, and no output is replaced" {
	gen_records 10 >in.ndjson
	echo previous >a.ndjson
	cp a.ndjson a.before
	run --separate-stderr ml-split --ratio a=1 -o a=a.ndjson in.ndjson missing.ndjson
	assert_equal "$status" 2
	assert_equal "$stderr" "ml-split: cannot open 'missing.ndjson': No such file or directory"
	assert_bytes_equal a.before a.ndjson
	assert_no_temp_files
}

@test "an output in a missing directory is an error that leaves no file and no temporary file" {
	gen_records 10 >in.ndjson
	run --separate-stderr ml-split --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=no-such-dir/b.ndjson in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-split: .*'no-such-dir/b\.ndjson'.*No such file or directory"
	assert [ ! -e a.ndjson ]
	assert_no_temp_files
}

# --- the rest ----------------------------------------------------------------

@test "--help exits 0 and prints the usage on stdout" {
	run --separate-stderr ml-split --help
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --regexp '^Usage: ml-split '
	run --separate-stderr ml-split -h
	assert_success
	assert_line --index 0 --regexp '^Usage: ml-split '
}

@test "--help describes every option" {
	run ml-split --help
	for opt in --ratio --key --seed --by --cut --parts --output -o --tag --verbose -v \
		--run-log --no-run-log --help --version; do
		assert_output --partial " $opt"
	done
}

@test "--version exits 0 and prints the version" {
	run --separate-stderr ml-split --version
	assert_success
	assert_equal "$stderr" ""
	assert_output --regexp '^ml-split \(mlpipe\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "-v prints the counts on stderr" {
	gen_records 1000 >in.ndjson
	run --separate-stderr ml-split -v --ratio train=0.8,test=0.2 -o train=train.ndjson -o test=test.ndjson in.ndjson
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" "ml-split: read 1000 records: train $(nlines train.ndjson), test $(nlines test.ndjson)"
	run --separate-stderr ml-split --verbose --by id --cut 100 --tag p -o out.ndjson in.ndjson
	assert_equal "$stderr" "ml-split: read 1000 records: train 99, test 901"
}

@test "without -v nothing is printed on stderr" {
	gen_records 100 >in.ndjson
	run --separate-stderr ml-split --ratio a=0.5,b=0.5 -o a=- -o b=b.ndjson in.ndjson
	assert_success
	assert_equal "$stderr" ""
}

@test "blank lines are skipped, not counted and not written" {
	printf '\n{"id":1}\n\n   \n\t\n{"id":2}\n\n' >in.ndjson
	run --separate-stderr ml-split -v --ratio a=1 -o a=- in.ndjson
	assert_success
	assert_equal "$output" "$(printf '{"id":1}\n{"id":2}')"
	assert_equal "$stderr" "ml-split: read 2 records: a 2"
}

@test "CRLF input is accepted and split as its LF twin" {
	gen_records 500 >lf.ndjson
	sed 's/$/\r/' lf.ndjson >crlf.ndjson
	grep -c $'\r$' crlf.ndjson
	ml-split --ratio a=0.5,b=0.5 -o a=a.lf -o b=b.lf lf.ndjson
	ml-split --ratio a=0.5,b=0.5 -o a=a.crlf -o b=b.crlf crlf.ndjson
	assert_bytes_equal a.lf a.crlf
	assert_bytes_equal b.lf b.crlf
}

@test "a last line without a newline is still a record" {
	printf '{"id":1}\n{"id":2}' >in.ndjson
	run ml-split --ratio a=1 -o a=- in.ndjson
	assert_success
	assert_equal "$output" "$(printf '{"id":1}\n{"id":2}')"
	ml-split --ratio a=1 -o a=out.ndjson in.ndjson
	assert_equal "$(nlines out.ndjson)" 2
}

@test "several inputs are read in turn, - being standard input" {
	gen_records 3 1 >one.ndjson
	gen_records 3 4 >two.ndjson
	gen_records 3 7 >three.ndjson
	run ml-split --ratio a=1 -o a=- one.ndjson - three.ndjson <two.ndjson
	assert_success
	assert_equal "$output" "$(cat one.ndjson two.ndjson three.ndjson)"
}

@test "empty input gives empty part files" {
	echo old >a.ndjson
	run --separate-stderr ml-split -v --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=b.ndjson </dev/null
	assert_success
	assert_equal "$stderr" "ml-split: read 0 records: a 0, b 0"
	assert [ -f a.ndjson ]
	assert [ ! -s a.ndjson ]
	assert [ -f b.ndjson ]
	assert [ ! -s b.ndjson ]
}

@test "a line longer than any buffer passes through whole" {
	/usr/bin/python3 -c 'print("{\"id\":1,\"big\":\"" + "x" * 3000000 + "\"}"); print("{\"id\":2}")' >in.ndjson
	ml-split --ratio a=0.5,b=0.5 -o a=a.ndjson -o b=b.ndjson in.ndjson
	assert_same_lines in.ndjson a.ndjson b.ndjson
	ml-split --ratio a=1 --tag p <in.ndjson >tagged.ndjson
	assert_equal "$(jq -r '.big | length' tagged.ndjson | head -1)" 3000000
}

@test "an output file replaced keeps its mode" {
	gen_records 10 >in.ndjson
	echo old >a.ndjson
	chmod 640 a.ndjson
	ml-split --ratio a=1 -o a=a.ndjson in.ndjson
	assert_equal "$(stat -c %a a.ndjson)" 640
	assert_bytes_equal in.ndjson a.ndjson
}

@test "an input can be replaced by its own split" {
	gen_records 100 >data.ndjson
	cp data.ndjson orig.ndjson
	ml-split --ratio a=1 --tag part -o data.ndjson data.ndjson
	assert_equal "$(nlines data.ndjson)" 100
	sed 's/,"part":"a"}$/}/' data.ndjson >stripped
	assert_bytes_equal orig.ndjson stripped
}

@test "the run log names every part's output with its counts, the parameters and the counters" {
	gen_records 1000 >in.ndjson
	ML_RUN_LOG=runs.ndjson ml-split --seed 9 --key id --ratio train=0.8,test=0.2 \
		-o train=train.ndjson -o test=- in.ndjson >test.out
	assert_json_lines runs.ndjson
	local ntrain ntest
	ntrain=$(nlines train.ndjson)
	ntest=$(nlines test.out)
	assert_equal "$(jq -c .outputs runs.ndjson)" \
		"[{\"path\":\"train.ndjson\",\"bytes\":$(wc -c <train.ndjson),\"records\":$ntrain,\"sha256\":\"$(sha256_id train.ndjson)\"},{\"path\":\"-\",\"bytes\":$(wc -c <test.out),\"records\":$ntest,\"sha256\":\"$(sha256_id test.out)\"}]"
	assert_equal "$(jq -c .counters runs.ndjson)" "{\"read\":1000,\"train\":$ntrain,\"test\":$ntest}"
	assert_equal "$(jq -c .params runs.ndjson)" '{"key":"id","seed":9}'
	rm runs.ndjson
	ML_RUN_LOG=runs.ndjson ml-split --by id --cut 10 --tag part <in.ndjson >/dev/null
	assert_equal "$(jq -c .params runs.ndjson)" '{"by":"id","tag":"part","seed":0}'
	assert_equal "$(jq -c .counters runs.ndjson)" '{"read":1000,"train":9,"test":991}'
}
