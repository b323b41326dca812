# fish completion for sota. Candidates come from the sota binary itself (`sota __complete`).
function __sota_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    $tokens[1] __complete -- $tokens[2..-1] "$current" 2>/dev/null
end
complete -c sota -f -a '(__sota_complete)'
