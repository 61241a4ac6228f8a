#!/usr/bin/env bash
# The repository stands alone: no tracked file may point at documents outside
# it (a sibling `shared/` checkout, design notes or research files kept
# elsewhere) or at issue numbers of a tracker a reader of a clone cannot see.
# Such a pointer rots the day it is written; the reason itself belongs in the
# text, or in ARCHITECTURE.md.
#
# First the patterns are checked against planted samples, so that a broken
# pattern cannot pass silently; then `git grep` runs them over every tracked
# text file.
set -uo pipefail
cd "$(dirname "$0")/../.."

self=scripts/test.d/10-references.sh

# One extended regular expression per kind of outside reference.
patterns=(
    '\.\./shared|/work/(shared|briefs)'            # a sibling checkout
    '(^|[^[:alnum:]_])DESIGN\.md'                  # the design notes kept outside
    '(^|[^[:alnum:]_.-])research/'                 # research notes kept outside
    '[-[:alnum:]]+-(anchors|cases)\.md|aesthetics\.md'
    '(^|[^[:alnum:]_])[Ii]ssues? #?[0-9]+'         # "issue 8", "issues 5 and 7"
    '(^|[[:space:](\[,;])#[0-9]+([^[:alnum:]_]|$)' # "#15", "(#15)"
)

# What each pattern must catch, and text that must pass. (The first two samples
# are written in pieces so that this file does not itself hold the references
# that other checks look for.)
planted=(
    'see ..''/shared/DESIGN.md'
    'as DESIGN.md'' §2 says'
    'the corpus (research/h2spec-cases.md)'
    'see h1-anchors.md'
    'filed as issue 15 §2'
    'fixed in (#15).'
)
innocent=(
    'PKCS#8 keys'
    'ARCHITECTURE.md, the driver contract'
    'https://github.com/ibraheemdev/matchit/issues/22'
    'the tissue 5 of'
)

status=0
for i in "${!patterns[@]}"; do
    if ! grep -qE -- "${patterns[$i]}" <<<"${planted[$i]}"; then
        echo "10-references: pattern ${patterns[$i]} misses its sample '${planted[$i]}'"
        status=1
    fi
done
for sample in "${innocent[@]}"; do
    for pattern in "${patterns[@]}"; do
        if grep -qE -- "$pattern" <<<"$sample"; then
            echo "10-references: pattern $pattern wrongly flags '$sample'"
            status=1
        fi
    done
done

# Style sheets write colours as `#333`.
found=0
for pattern in "${patterns[@]}"; do
    if git grep -n -I -E -e "$pattern" -- . ":(exclude)$self" ':(exclude)*.css'; then
        found=1
    fi
done
if [ $found -ne 0 ]; then
    echo "10-references: the lines above point outside the repository; write the reason itself, or point at ARCHITECTURE.md"
    status=1
fi
[ $status -eq 0 ] && echo "10-references: no outside references in $(git ls-files | wc -l) tracked files"
exit $status
