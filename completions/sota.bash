# bash completion for sota. Candidates come from the sota binary itself (`sota __complete`),
# so they always match the installed version's commands, flags and config keys.
_sota() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" -- "$cur"))
}
complete -o default -F _sota sota
