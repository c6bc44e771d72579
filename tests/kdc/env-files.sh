#!/usr/bin/env bash
# The env files shared by start-kdc.sh and samba/start-dc.sh (sourced, not run): STATE_DIR/env
# (shell, `export NAME=value`) and STATE_DIR/env.json (the same variables), each written to a
# temporary file and moved into place.

json_escape() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    printf '%s' "$s"
}

# write_env_files DIR WRITER: writes the variables the caller lists in its `names` array, with
# the values of its associative array `v`; WRITER names the script in the env file's header.
write_env_files() {
    local dir=$1 writer=$2 n sep=''
    {
        printf '# Written by %s; source it: . %s/env\n' "$writer" "$dir"
        for n in "${names[@]}"; do
            printf 'export %s=%q\n' "$n" "${v[$n]}"
        done
    } >"$dir/env.tmp"
    mv "$dir/env.tmp" "$dir/env"
    {
        printf '{'
        for n in "${names[@]}"; do
            printf '%s\n  "%s": "%s"' "$sep" "$n" "$(json_escape "${v[$n]}")"
            sep=,
        done
        printf '\n}\n'
    } >"$dir/env.json.tmp"
    mv "$dir/env.json.tmp" "$dir/env.json"
}
