# private-apt.sh: sourced by the setup scripts that fetch Debian packages or
# sources without touching the host's apt state (bochs3-setup.sh,
# qemu-setup.sh).
#
#   private_apt_init DIR LINE...
#
# Makes DIR hold an apt configuration of its own (state, cache, an empty
# dpkg status) whose sources.list has the given LINEs, and sets the array
# private_apt_opts for `apt-get "${private_apt_opts[@]}" ...`.  Needs no
# root: nothing is locked and nothing outside DIR is written.

private_apt_init()
{
    local dir=$1 keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    shift
    [ -f "$keyring" ] || {
        echo "$keyring missing (apt-get install debian-archive-keyring)" >&2
        return 1
    }
    mkdir -p "$dir/etc/apt.conf.d" "$dir/etc/preferences.d" \
             "$dir/etc/sources.list.d" "$dir/etc/trusted.gpg.d" \
             "$dir/state/lists/partial" "$dir/cache/archives/partial"
    printf '%s\n' "$@" > "$dir/etc/sources.list"
    : > "$dir/state/status"   # apt must not consult the host's dpkg status
    private_apt_opts=(
        -o "Dir::Etc=$dir/etc" -o "Dir::Etc::SourceList=$dir/etc/sources.list"
        -o "Dir::Etc::SourceParts=$dir/etc/sources.list.d"
        -o "Dir::Etc::Parts=$dir/etc/apt.conf.d"
        -o "Dir::Etc::PreferencesParts=$dir/etc/preferences.d"
        -o "Dir::Etc::Trusted=$keyring"
        -o "Dir::Etc::TrustedParts=$dir/etc/trusted.gpg.d"
        -o "Dir::State=$dir/state" -o "Dir::State::status=$dir/state/status"
        -o "Dir::Cache=$dir/cache" -o "APT::Architecture=amd64"
        -o "APT::Sandbox::User=$(id -un)" -o "Debug::NoLocking=1")
}
