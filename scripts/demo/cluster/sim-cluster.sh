# shellcheck shell=bash
# A simulated HTCondor pool behind IHEP's HepJob wrappers, sourced by every stand-in tool of this folder
# (hep_sub boss.condor hep_q hep_rm condor_submit condor_q condor_history condor_rm condor_hold condor_release, and
# sim-runner, sim-jobs, sim-stop). The tools print what the real ones print (docs: domain.md, "Batch-system output") and behave
# as they do where it matters to a tracker:
#   - lag: a job is in neither the queue nor the history for lag_seconds after its submission;
#   - each job is run by a detached runner (its own session and process group): idle for start_seconds, then
#     running its executable in its initial folder, then in the history with ExitCode (or ExitSignal);
#   - hold kills the runner's group (a running job is evicted) and records HoldReason; release makes the job idle
#     again and starts a new runner; remove kills the group and puts the job in the history with JobStatus 3;
#   - ids listed in <state>/refuse-removal are not removed: "Permission denied to remove job C.P", exit 1.
# Command lines (those src/batch/ builds, and what a person types):
#   hep_sub [-g group] [-o file] [-e file] <executable> [argument...]     1 job(s) submitted to cluster C
#     (without -o/-e the job's output goes next to the executable: <executable>.out.C.0 and .err.C.0)
#   boss.condor [-g group] [-n N] <job option file>                        N job(s) submitted to cluster C
#     (boss.exe, found on PATH when submitting, runs the file; with -n, proc P runs the file named with
#     %{ProcId} replaced by P; output <file>.bosslog, error <file>.bosserr, in the folder of the submission)
#   condor_submit [-terse] [-batch-name name] <file>: executable arguments initialdir output error JobBatchName
#     (or +JobBatchName, batch_name) hold, `queue [N]`, and $(Cluster) $(Process) and the file's own macros
#   condor_q [C.P|C]... -af <attribute>...        condor_history [-limit N] [C.P|C]... -af <attribute>...
#     (both also take -constraint 'JobBatchName == "<name>"', the only constraint this stand-in knows)
#   hep_q [-u user]        condor_rm | hep_rm | condor_release <C.P>...        condor_hold [-reason text] <C.P>...
# A job's exit status above 128 is read as death by signal (status - 128), as a shell reports it.
#
# State folder: $SIM_CLUSTER_DIR, else .state/ next to these scripts (environment variables do not cross ssh, so
# a private copy of the folder has a private cluster). In it:
#   config          settings, `name=value` a line: lag_seconds (1), start_seconds (0.5), first_cluster (1)
#   refuse-removal  job ids (C.P) whose removal is refused, separated by spaces or lines
#   lock            flock(1) lock: exclusive for every change, shared for every listing
#   counter         the last cluster id given out
#   jobs/C.P/       a job in the queue: one file a ClassAd attribute (lower-case name, its value on one line),
#                   and _argv (the command, NUL-separated), _gen (which runner may run it), _pgid, _qdate_us, ...
#   history/C.P/    a job that left the queue; history.log lists them in the order they left
# Nothing read from a command line, a submit file or the state is ever evaluated as shell code.

set -uo pipefail
shopt -s nullglob

sim_here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
sim_state=${SIM_CLUSTER_DIR:-$sim_here/.state}
[[ $sim_state == /* ]] || sim_state=$PWD/$sim_state

sim_fail() {
  printf '%s\n' "$*" >&2
  exit 1
}

# ---- settings and time -----------------------------------------------------------------------------------------

sim_micros() { # <variable> <seconds, e.g. 1.5>: the seconds in microseconds
  [[ $2 =~ ^([0-9]{1,9})(\.([0-9]{1,6}))?$ ]] || sim_fail "$sim_state/config: \"$2\" is no number of seconds"
  local frac=${BASH_REMATCH[3]}000000
  printf -v "$1" '%d' "$((10#${BASH_REMATCH[1]} * 1000000 + 10#${frac:0:6}))"
}

sim_seconds() { # <variable> <microseconds>: as seconds for sleep(1)
  printf -v "$1" '%d.%06d' "$(($2 / 1000000))" "$(($2 % 1000000))"
}

sim_lag_us=1000000
sim_start_us=500000
sim_first_cluster=1
sim_read_config() {
  local file=$sim_state/config line value
  [ -e "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ $line =~ ^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*([^[:space:]]+)[[:space:]]*$ ]] ||
      sim_fail "$file: \"$line\" is no name=value line"
    value=${BASH_REMATCH[2]}
    case ${BASH_REMATCH[1]} in
      lag_seconds) sim_micros sim_lag_us "$value" ;;
      start_seconds) sim_micros sim_start_us "$value" ;;
      first_cluster)
        [[ $value =~ ^[1-9][0-9]{0,11}$ ]] || sim_fail "$file: first_cluster must be a positive integer"
        sim_first_cluster=$value ;;
      *) sim_fail "$file: unknown setting ${BASH_REMATCH[1]}" ;;
    esac
  done < "$file"
}
sim_read_config

sim_clock() { # sets sim_now_us and sim_now (epoch seconds)
  sim_now_us=${EPOCHREALTIME//[!0-9]/}
  sim_now=${sim_now_us:0:-6}
}

sim_user=
sim_whoami() { [ -n "$sim_user" ] || sim_user=$(id -un); }

# ---- the lock and the job folders ------------------------------------------------------------------------------

sim_init() { # makes the state folder of a cluster that has had no job yet
  mkdir -p -- "$sim_state/jobs" "$sim_state/history" && : >> "$sim_state/lock" || sim_fail "cannot create $sim_state"
}

sim_locked() { # <-s|-x> <command> [argument...]: runs the command holding the cluster's lock (shared or exclusive)
  local mode=$1
  shift
  # opened for reading: a runner whose cluster was deleted creates nothing
  { flock "$mode" 9 && "$@"; } 9< "$sim_state/lock"
}

sim_reading() { # <command> [argument...]: runs a listing under the shared lock (none yet: an empty cluster)
  if [ -e "$sim_state/lock" ]; then sim_locked -s "$@"; else "$@"; fi
}

sim_get() { # <variable> <job folder> <attribute>: its value, or "undefined" (as condor_q -af prints a missing one)
  local __value
  if [ -e "$2/${3,,}" ] && IFS= read -r __value < "$2/${3,,}"; then
    printf -v "$1" '%s' "$__value"
  else
    printf -v "$1" '%s' undefined
  fi
}

sim_set() { # <job folder> <attribute> <value>
  printf '%s\n' "${3//$'\n'/ }" > "$1/${2,,}"
}

sim_sorted_ids() { # <array variable> <folder>: the job ids in the folder, in ClusterId.ProcId order
  local -n __ids=$1
  local -a names=()
  local d
  for d in "$2"/*/; do
    d=${d%/}
    names+=("${d##*/}")
  done
  __ids=()
  if ((${#names[@]})); then mapfile -t __ids < <(printf '%s\n' "${names[@]}" | sort -t. -k1,1n -k2,2n); fi
}

sim_visible() { # <job folder>: true once the lag after its submission has passed
  local qdate
  sim_get qdate "$1" _qdate_us
  ((sim_now_us >= qdate + sim_lag_us))
}

declare -A sim_wanted_jobs=() sim_wanted_clusters=()
sim_want() { # <argument>: adds a job (C.P) or a cluster (C) to those a listing shows; false for anything else
  if [[ $1 =~ ^([0-9]+)\.([0-9]+)$ ]]; then
    sim_wanted_jobs[$((10#${BASH_REMATCH[1]})).$((10#${BASH_REMATCH[2]}))]=1
  elif [[ $1 =~ ^[0-9]+$ ]]; then
    sim_wanted_clusters[$((10#$1))]=1
  else
    return 1
  fi
}

sim_wanted() { # <job id>: true when no id was asked for, or this one (or its cluster) was
  ((${#sim_wanted_jobs[@]} + ${#sim_wanted_clusters[@]} == 0)) ||
    [[ -n ${sim_wanted_jobs[$1]:-} || -n ${sim_wanted_clusters[${1%.*}]:-} ]]
}

declare -A sim_live_groups=()
sim_scan_groups() { # fills sim_live_groups: the process groups with a live (not zombie) member
  local stat line state pgrp
  sim_live_groups=()
  for stat in /proc/[0-9]*/stat; do
    IFS= read -r line < "$stat" 2> /dev/null || continue
    read -r state _ pgrp _ <<< "${line##*) }"
    [[ $state == [ZX] ]] || sim_live_groups[$pgrp]=1
  done
}

sim_is_runner() { # <pid> <job id> <generation>: true when the pid is that job's runner (not a reused pid)
  local -a argv=()
  [ -r "/proc/$1/cmdline" ] && mapfile -d '' -t argv < "/proc/$1/cmdline" 2> /dev/null
  local n=${#argv[@]}
  ((n >= 3)) && [[ ${argv[n - 3]} == "$sim_state" && ${argv[n - 2]} == "$2" && ${argv[n - 1]} == "$3" ]]
}

sim_killed=
sim_stop_runner() { # <job folder>: kills the process group of its runner (and of the job it runs); sim_killed: its id
  local pgid gen
  sim_killed=
  sim_get pgid "$1" _pgid
  sim_get gen "$1" _gen
  if [[ $pgid =~ ^[0-9]+$ ]] && sim_is_runner "$pgid" "${1##*/}" "$gen"; then
    kill -KILL -- "-$pgid" 2> /dev/null
    sim_killed=$pgid
  fi
  return 0
}

sim_to_history() { # <job folder> <JobStatus>: the job leaves the queue
  sim_clock
  sim_set "$1" jobstatus "$2"
  sim_set "$1" enteredcurrentstatus "$sim_now"
  sim_set "$1" completiondate "$sim_now"
  mv -- "$1" "$sim_state/history/" && printf '%s\n' "${1##*/}" >> "$sim_state/history.log"
}

sim_spawns=()
sim_start_runners() { # starts a detached runner for each "<job id> <generation>" in sim_spawns
  local spawn
  for spawn in "${sim_spawns[@]}"; do
    # its own session and process group, holding nothing of the caller (a command substitution or an ssh
    # channel waits for every holder of its stdout)
    setsid -f "$sim_here/sim-runner" "$sim_state" "${spawn% *}" "${spawn#* }" < /dev/null > /dev/null 2>&1 9<&-
  done
  sim_spawns=()
}

# ---- submitting ------------------------------------------------------------------------------------------------

sim_executable() { # <variable> <path>: the path made absolute; fails as condor_submit does when it is no file
  local path=$2
  [[ $path == /* ]] || path=$PWD/$path
  [ -f "$path" ] || sim_fail "ERROR: Executable file $path does not exist"
  printf -v "$1" '%s' "$path"
}

sim_next_cluster() { # sets sim_cluster: the next cluster id (call it holding the lock)
  local last=
  [ -e "$sim_state/counter" ] && IFS= read -r last < "$sim_state/counter"
  if [[ $last =~ ^[0-9]+$ ]] && ((last >= sim_first_cluster)); then
    sim_cluster=$((last + 1))
  else
    sim_cluster=$sim_first_cluster
  fi
  printf '%s\n' "$sim_cluster" > "$sim_state/counter"
}

# what the next sim_write_job records besides the command
sim_job_iwd= sim_job_out=/dev/null sim_job_err=/dev/null sim_job_batch= sim_job_group= sim_job_held=0
sim_write_job() { # <job id> <executable> [argument...]: a new job in the queue (call it holding the lock)
  local id=$1 dir=$sim_state/jobs/$1 path
  shift
  mkdir -- "$dir" || return 1
  sim_clock
  sim_whoami
  sim_set "$dir" ClusterId "${id%.*}"
  sim_set "$dir" ProcId "${id#*.}"
  sim_set "$dir" Owner "$sim_user"
  sim_set "$dir" Cmd "$1"
  sim_set "$dir" Args "${*:2}"
  sim_set "$dir" Iwd "$sim_job_iwd"
  sim_set "$dir" QDate "$sim_now"
  sim_set "$dir" EnteredCurrentStatus "$sim_now"
  sim_set "$dir" _qdate_us "$sim_now_us"
  sim_set "$dir" _since_us "$sim_now_us"
  sim_set "$dir" _gen 1
  sim_set "$dir" Out "$sim_job_out"
  sim_set "$dir" Err "$sim_job_err"
  # where the runner writes them: relative to the initial folder
  for path in "$sim_job_out" "$sim_job_err"; do
    [[ $path == /* ]] || path=$sim_job_iwd/$path
    printf '%s\n' "$path"
  done > "$dir/_files"
  [ -z "$sim_job_batch" ] || sim_set "$dir" JobBatchName "$sim_job_batch"
  [ -z "$sim_job_group" ] || sim_set "$dir" AcctGroup "$sim_job_group"
  printf '%s\0' "$@" > "$dir/_argv"
  if ((sim_job_held)); then
    sim_set "$dir" JobStatus 5
    sim_set "$dir" HoldReason "submitted on hold at user's request"
  else
    sim_set "$dir" JobStatus 1
    sim_spawns+=("$id 1")
  fi
}

# ---- the runner ------------------------------------------------------------------------------------------------

sim_current() { # <job folder> <generation> <JobStatus>: true while the job is queued, this runner's, in that status
  local gen status
  [ -d "$1" ] || return 1
  sim_get gen "$1" _gen
  sim_get status "$1" jobstatus
  [[ $gen == "$2" && $status == "$3" ]]
}

sim_runner_register() { # <job folder> <generation>
  sim_current "$1" "$2" 1 || return 1
  sim_set "$1" _pgid "$$"
  sim_get sim_run_since "$1" _since_us
}

sim_runner_start() { # <job folder> <generation>: idle → running; reads what to run
  sim_current "$1" "$2" 1 || return 1
  sim_clock
  sim_set "$1" JobStatus 2
  sim_set "$1" EnteredCurrentStatus "$sim_now"
  sim_set "$1" JobStartDate "$sim_now"
  sim_get sim_run_iwd "$1" Iwd
  { IFS= read -r sim_run_out && IFS= read -r sim_run_err; } < "$1/_files"
  mapfile -d '' -t sim_run_argv < "$1/_argv"
}

sim_runner_finish() { # <job folder> <generation> <exit status>
  sim_current "$1" "$2" 2 || return 1
  # a shell reports death by signal N as 128+N, and so does this runner
  if (($3 > 128 && $3 <= 128 + 64)); then
    sim_set "$1" ExitBySignal true
    sim_set "$1" ExitSignal "$(($3 - 128))"
  else
    sim_set "$1" ExitBySignal false
    sim_set "$1" ExitCode "$3"
  fi
  sim_to_history "$1" 4
}

sim_run() { # <job id> <generation>: what sim-runner does, detached, for one job
  local dir=$sim_state/jobs/$1 wait_us pause code
  cd / || exit 1
  sim_locked -x sim_runner_register "$dir" "$2" || exit 0
  sim_clock
  wait_us=$((sim_run_since + sim_start_us - sim_now_us))
  if ((wait_us > 0)); then
    sim_seconds pause "$wait_us"
    sleep "$pause"
  fi
  sim_locked -x sim_runner_start "$dir" "$2" || exit 0
  (cd -- "$sim_run_iwd" && exec "${sim_run_argv[@]}") < /dev/null > "$sim_run_out" 2> "$sim_run_err"
  code=$?
  sim_locked -x sim_runner_finish "$dir" "$2" "$code"
}

# ---- control: condor_rm / hep_rm, condor_hold, condor_release --------------------------------------------------

sim_failed=0
sim_refuse() { # <message>: the tool's refusal of one id (stderr, and a non-zero exit at the end)
  printf '%s\n' "$1" >&2
  sim_failed=1
}

sim_remove_jobs() { # <tool> <reason> <job id>...
  local tool=$1 reason=$2 id dir line
  local -a words
  local -A refused=()
  shift 2
  if [ -e "$sim_state/refuse-removal" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      read -ra words <<< "$line"
      for id in "${words[@]}"; do refused[$id]=1; done
    done < "$sim_state/refuse-removal"
  fi
  sim_whoami
  for id; do
    dir=$sim_state/jobs/$id
    if [ ! -d "$dir" ]; then
      sim_refuse "Job $id not found"
    elif [[ -n ${refused[$id]:-} ]]; then
      sim_refuse "Permission denied to remove job $id"
    else
      sim_stop_runner "$dir"
      sim_set "$dir" RemoveReason "${reason:-via condor_rm (by user $sim_user)}"
      sim_to_history "$dir" 3
      # domain.md's condor_rm line; hep_rm as recorded at IHEP (HTCondor's current wording)
      if [ "$tool" = hep_rm ]; then echo "Job $id marked for removal"; else echo "Job $id removed."; fi
    fi
  done
}

sim_hold_jobs() { # <tool> <reason> <job id>...
  local reason=$2 id dir status
  shift 2
  sim_whoami
  for id; do
    dir=$sim_state/jobs/$id
    sim_get status "$dir" JobStatus
    if [ ! -d "$dir" ]; then
      sim_refuse "Job $id not found"
    elif [ "$status" = 5 ]; then
      sim_refuse "Job $id already held"
    else
      sim_stop_runner "$dir"
      sim_clock
      sim_set "$dir" JobStatus 5
      sim_set "$dir" HoldReason "${reason:-via condor_hold (by user $sim_user)}"
      sim_set "$dir" EnteredCurrentStatus "$sim_now"
      echo "Job $id held"
    fi
  done
}

sim_release_jobs() { # <tool> <reason> <job id>...
  local id dir status gen
  shift 2
  for id; do
    dir=$sim_state/jobs/$id
    sim_get status "$dir" JobStatus
    if [ ! -d "$dir" ]; then
      sim_refuse "Job $id not found"
    elif [ "$status" != 5 ]; then
      sim_refuse "Job $id not held to be released"
    else
      sim_clock
      sim_get gen "$dir" _gen
      sim_set "$dir" _gen "$((gen + 1))"
      sim_set "$dir" JobStatus 1
      sim_set "$dir" EnteredCurrentStatus "$sim_now"
      sim_set "$dir" _since_us "$sim_now_us"
      rm -f -- "$dir/holdreason"
      sim_spawns+=("$id $((gen + 1))")
      echo "Job $id released"
    fi
  done
}

sim_control() { # <remove|hold|release> <tool> [-reason <text>] <job id>...
  local action=$1 tool=$2 reason=
  local -a ids=()
  shift 2
  while (($#)); do
    case $1 in
      -reason)
        (($# >= 2)) || sim_fail "$tool: -reason requires another argument"
        reason=$2
        shift 2 ;;
      -*) sim_fail "Unrecognized option: $1" ;;
      *)
        if [[ $1 =~ ^[0-9]+\.[0-9]+$ ]]; then ids+=("$1"); else echo "Warning: unrecognized \"$1\" skipped." >&2; fi
        shift ;;
    esac
  done
  ((${#ids[@]})) || sim_fail "You did not specify any jobs"
  sim_init
  sim_locked -x "sim_${action}_jobs" "$tool" "$reason" "${ids[@]}" || sim_failed=1
  sim_start_runners
  exit "$sim_failed"
}

# ---- listings: condor_q, condor_history, hep_q -----------------------------------------------------------------

sim_batch_filter=
sim_in_batch() { # <job folder>: true unless a -constraint names another JobBatchName
  local name
  [ -z "$sim_batch_filter" ] && return 0
  sim_get name "$1" JobBatchName
  [ "$name" = "$sim_batch_filter" ]
}

sim_print_attributes() { # <job folder> <attribute>...: one -af line (values separated by a space)
  local dir=$1 name value
  local -a values=()
  shift
  for name; do
    sim_get value "$dir" "$name"
    values+=("$value")
  done
  printf '%s\n' "${values[*]}"
}

sim_list_queue() { # <attribute>...
  local id
  local -a ids
  sim_clock
  sim_sorted_ids ids "$sim_state/jobs"
  for id in "${ids[@]}"; do
    if sim_wanted "$id" && sim_visible "$sim_state/jobs/$id" && sim_in_batch "$sim_state/jobs/$id"; then sim_print_attributes "$sim_state/jobs/$id" "$@"; fi
  done
  return 0
}

sim_list_history() { # <limit, -1: none> <attribute>...: newest first, as condor_history reads its file backwards
  local limit=$1 count=0 i id
  local -a log=()
  shift
  sim_clock
  [ -e "$sim_state/history.log" ] && mapfile -t log < "$sim_state/history.log"
  for ((i = ${#log[@]} - 1; i >= 0 && (limit < 0 || count < limit); i--)); do
    id=${log[i]}
    if sim_wanted "$id" && [ -d "$sim_state/history/$id" ] && sim_visible "$sim_state/history/$id" &&
      sim_in_batch "$sim_state/history/$id"; then
      sim_print_attributes "$sim_state/history/$id" "$@"
      count=$((count + 1))
    fi
  done
  return 0
}

sim_query() { # <tool> <argument>...: condor_q / condor_history: [-limit N] [ids] -af <attribute>...
  local tool=$1 limit=-1
  local -a attributes=()
  shift
  while (($#)); do
    case $1 in
      -af | -autoformat)
        shift
        attributes=("$@")
        break ;;
      -limit | -match)
        [[ ${2:-} =~ ^[0-9]+$ ]] || sim_fail "$tool: $1 requires a number"
        limit=$2
        shift 2 ;;
      -constraint)
        [[ ${2:-} =~ ^JobBatchName\ ==\ \"([A-Za-z0-9_.-]+)\"$ ]] ||
          sim_fail "$tool: this stand-in knows only the constraint JobBatchName == \"<name>\""
        sim_batch_filter=${BASH_REMATCH[1]}
        shift 2 ;;
      -nobatch | -allusers) shift ;;
      -*) sim_fail "$tool: unknown option $1 (this stand-in prints -af listings)" ;;
      *)
        sim_want "$1" || sim_fail "$tool: \"$1\" is no job or cluster id"
        shift ;;
    esac
  done
  ((${#attributes[@]})) || sim_fail "$tool: this stand-in prints only -af listings"
  if [ "$tool" = condor_history ]; then sim_reading sim_list_history "$limit" "${attributes[@]}"
  else sim_reading sim_list_queue "${attributes[@]}"; fi
}

sim_list_user() { # <user>: hep_q's table of the user's queued jobs and its summary line
  local user=$1 id dir owner status cmd args qdate started submitted runtime elapsed
  local -a ids
  local -A count=([1]=0 [2]=0 [3]=0 [4]=0 [5]=0 [7]=0)
  local -A letter=([1]=I [2]=R [3]=X [4]=C [5]=H [6]='>' [7]=S)
  sim_clock
  printf '%-16s%-16s%-16s%-16s%-3s%-4s%-6s%s\n' JOBID OWNER SUBMITTED RUN_TIME ST PRI SIZE CMD
  sim_sorted_ids ids "$sim_state/jobs"
  for id in "${ids[@]}"; do
    dir=$sim_state/jobs/$id
    sim_get owner "$dir" Owner
    [ "$owner" = "$user" ] && sim_visible "$dir" || continue
    sim_get status "$dir" JobStatus
    sim_get cmd "$dir" Cmd
    sim_get args "$dir" Args
    sim_get qdate "$dir" QDate
    sim_get started "$dir" JobStartDate
    elapsed=0
    [ "$status" = 2 ] && elapsed=$((sim_now - started))
    printf -v submitted '%(%m/%d %H:%M)T' "$qdate"
    printf -v runtime '%d+%02d:%02d:%02d' $((elapsed / 86400)) $((elapsed / 3600 % 24)) $((elapsed / 60 % 60)) $((elapsed % 60))
    printf '%-16s%-16s%-16s%-16s%-3s%-4s%-6s%s\n' "$id" "$owner" "$submitted" "$runtime" "${letter[$status]:-?}" 0 0.0 \
      "${cmd##*/}${args:+ $args}"
    count[$status]=$((${count[$status]:-0} + 1))
  done
  printf '\n%d jobs; %d completed, %d removed, %d idle, %d running, %d held, %d suspended\n' \
    $((count[1] + count[2] + count[3] + count[4] + count[5] + count[7])) \
    "${count[4]}" "${count[3]}" "${count[1]}" "${count[2]}" "${count[5]}" "${count[7]}"
}

sim_hep_q() { # [-u <user>]
  local user=
  while (($#)); do
    case $1 in
      -u | -user)
        (($# >= 2)) || sim_fail "hep_q: $1 requires a user name"
        user=$2
        shift 2 ;;
      *) sim_fail "hep_q: unknown argument $1 (this stand-in lists one user's jobs: hep_q -u <user>)" ;;
    esac
  done
  [ -n "$user" ] || { sim_whoami && user=$sim_user; }
  sim_reading sim_list_user "$user"
}

# ---- submitting: hep_sub, condor_submit ------------------------------------------------------------------------

sim_hep_enqueue() { # <executable> [argument...]
  sim_next_cluster
  sim_job_out=${sim_hep_out:-$1.out.$sim_cluster.0}
  sim_job_err=${sim_hep_err:-$1.err.$sim_cluster.0}
  sim_write_job "$sim_cluster.0" "$@"
}

sim_hep_sub() { # [-g <group>] [-o <stdout file>] [-e <stderr file>] <executable> [argument...]
  local exe
  sim_hep_out= sim_hep_err=
  while (($#)); do
    case $1 in
      -g | -group | -o | -e)
        (($# >= 2)) || sim_fail "hep_sub: $1 requires a value"
        case $1 in -o) sim_hep_out=$2 ;; -e) sim_hep_err=$2 ;; *) sim_job_group=$2 ;; esac
        shift 2 ;;
      --) shift; break ;;
      -*) sim_fail "hep_sub: unknown option $1" ;;
      *) break ;;
    esac
  done
  (($#)) || sim_fail "usage: hep_sub [-g group] [-o file] [-e file] <executable> [argument...]"
  sim_executable exe "$1"
  shift
  sim_job_iwd=$PWD
  sim_init
  sim_locked -x sim_hep_enqueue "$exe" "$@" || sim_fail "hep_sub: the job could not be queued"
  sim_start_runners
  echo "1 job(s) submitted to cluster $sim_cluster"
}

sim_boss_files=()
sim_boss_enqueue() { # <boss.exe>: one cluster, a proc a job-option file of sim_boss_files
  local i
  sim_next_cluster
  for i in "${!sim_boss_files[@]}"; do
    sim_job_out=${sim_boss_files[i]}.bosslog sim_job_err=${sim_boss_files[i]}.bosserr
    sim_write_job "$sim_cluster.$i" "$1" "${sim_boss_files[i]}" || return 1
  done
}

sim_boss_condor() { # [-g <group>] [-n <N>] <job option file, %{ProcId} standing for the proc's number>
  local count=1 exe i name proc='%{ProcId}'
  while (($#)); do
    case $1 in
      -g | -group)
        (($# >= 2)) || sim_fail "boss.condor: $1 requires a group"
        sim_job_group=$2
        shift 2 ;;
      -n)
        [[ ${2:-} =~ ^[1-9][0-9]{0,3}$ ]] || sim_fail "boss.condor: -n requires a number of jobs"
        count=$2
        shift 2 ;;
      -*) sim_fail "boss.condor: unknown option $1" ;;
      *) break ;;
    esac
  done
  (($# == 1)) || sim_fail "usage: boss.condor [-g group] [-n N] <job option file>"
  exe=$(command -v boss.exe) || sim_fail "boss.condor: boss.exe not found (source the BOSS environment first)"
  sim_boss_files=()
  for ((i = 0; i < count; i++)); do
    name=${1//"$proc"/$i}
    [[ $name == /* ]] || name=$PWD/$name
    [ -f "$name" ] || sim_fail "ERROR: job option file $name does not exist"
    sim_boss_files+=("$name")
  done
  sim_job_iwd=$PWD
  sim_init
  sim_locked -x sim_boss_enqueue "$exe" || sim_fail "boss.condor: the jobs could not be queued"
  sim_start_runners
  echo "$count job(s) submitted to cluster $sim_cluster"
}

sim_split_arguments() { # <text>: sets sim_arguments to the words of a submit file's `arguments`
  local text=$1 word= quoted=0 has_word=0 i c
  sim_arguments=()
  if [[ $text != \"* ]]; then
    read -ra sim_arguments <<< "$text" # the old syntax: words separated by spaces
    return 0
  fi
  # the new syntax: "a 'b c' d", with "" for a double quote and '' inside single quotes for a single one
  [[ $text == *\" && ${#text} -ge 2 ]] || return 1
  text=${text:1:${#text}-2}
  for ((i = 0; i < ${#text}; i++)); do
    c=${text:i:1}
    if [[ $c == \" ]]; then
      [[ ${text:i+1:1} == \" ]] || return 1
      word+=\"
      has_word=1
      i=$((i + 1))
    elif ((quoted)); then
      if [[ $c == "'" && ${text:i+1:1} == "'" ]]; then word+="'"; i=$((i + 1))
      elif [[ $c == "'" ]]; then quoted=0
      else word+=$c; fi
    elif [[ $c == "'" ]]; then
      quoted=1
      has_word=1
    elif [[ $c == [[:space:]] ]]; then
      ((has_word)) && sim_arguments+=("$word")
      word= has_word=0
    else
      word+=$c
      has_word=1
    fi
  done
  ((quoted)) && return 1
  ((has_word)) && sim_arguments+=("$word")
  return 0
}

declare -A sim_macros=()
sim_expand() { # <variable> <text> <cluster> <proc>: $(Cluster) $(Process) and the file's own macros replaced
  local __text=$2 __done= __value
  while [[ $__text =~ ^([^$]*)\$\(([A-Za-z_][A-Za-z0-9_.]*)\)(.*)$ ]]; do
    case ${BASH_REMATCH[2],,} in
      cluster | clusterid) __value=$3 ;;
      process | procid) __value=$4 ;;
      *) __value=${sim_macros[${BASH_REMATCH[2],,}]:-} ;;
    esac
    __done+=${BASH_REMATCH[1]}$__value
    __text=${BASH_REMATCH[3]}
  done
  printf -v "$1" '%s' "$__done$__text"
}

# one entry a proc, filled by sim_condor_submit from the submit file's queue statements
sim_q_exe=() sim_q_args=() sim_q_iwd=() sim_q_out=() sim_q_err=() sim_q_batch=() sim_q_held=()
sim_condor_enqueue() { # every proc checked first, so that a bad one queues none
  local i pass args
  local -a iwd=() out=() err=()
  sim_next_cluster
  for pass in check write; do
    for i in "${!sim_q_exe[@]}"; do
      sim_expand "iwd[$i]" "${sim_q_iwd[i]}" "$sim_cluster" "$i"
      sim_expand "out[$i]" "${sim_q_out[i]}" "$sim_cluster" "$i"
      sim_expand "err[$i]" "${sim_q_err[i]}" "$sim_cluster" "$i"
      sim_expand args "${sim_q_args[i]}" "$sim_cluster" "$i"
      [[ ${iwd[i]} == /* ]] || iwd[i]=$PWD/${iwd[i]}
      [ -d "${iwd[i]}" ] || { echo "ERROR: No such directory: ${iwd[i]}" >&2; return 1; }
      sim_split_arguments "$args" || { echo "ERROR: unbalanced quotes in arguments: $args" >&2; return 1; }
      [ "$pass" = write ] || continue
      sim_job_iwd=${iwd[i]} sim_job_out=${out[i]} sim_job_err=${err[i]} sim_job_batch=${sim_q_batch[i]}
      sim_job_held=${sim_q_held[i]}
      sim_write_job "$sim_cluster.$i" "${sim_q_exe[i]}" "${sim_arguments[@]}" || return 1
    done
  done
}

sim_condor_submit() { # [-terse] [-batch-name <name>] <submit file>
  local terse=0 batch= file= line number=0 key value count exe n dots
  while (($#)); do
    case $1 in
      -terse) terse=1; shift ;;
      -batch-name | -batch_name)
        (($# >= 2)) || sim_fail "condor_submit: $1 requires a name"
        batch=$2
        shift 2 ;;
      -*) sim_fail "condor_submit: unknown option $1" ;;
      *) file=$1; shift ;;
    esac
  done
  [ -n "$file" ] || sim_fail "condor_submit: this stand-in reads a submit description file: condor_submit <file>"
  [ -r "$file" ] || sim_fail "ERROR: Can't open \"$file\""
  while IFS= read -r line || [ -n "$line" ]; do
    number=$((number + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if [[ ${line,,} =~ ^[[:space:]]*queue([[:space:]]+([0-9]+))?[[:space:]]*$ ]]; then
      count=${BASH_REMATCH[2]:-1}
      [ -n "${sim_macros[executable]:-}" ] || sim_fail "ERROR: No 'executable' parameter was provided"
      sim_executable exe "${sim_macros[executable]}"
      for ((n = 0; n < count; n++)); do
        sim_q_exe+=("$exe")
        sim_q_args+=("${sim_macros[arguments]:-}")
        sim_q_iwd+=("${sim_macros[initialdir]:-${sim_macros[initial_dir]:-.}}")
        sim_q_out+=("${sim_macros[output]:-/dev/null}")
        sim_q_err+=("${sim_macros[error]:-/dev/null}")
        value=${batch:-${sim_macros[jobbatchname]:-${sim_macros[batch_name]:-${sim_macros[+jobbatchname]:-}}}}
        value=${value#\"}
        sim_q_batch+=("${value%\"}")
        [[ ${sim_macros[hold]:-false} =~ ^([Tt][Rr][Uu][Ee]|1|[Yy][Ee][Ss])$ ]] && sim_q_held+=(1) || sim_q_held+=(0)
      done
    elif [[ $line =~ ^[[:space:]]*(\+?[A-Za-z_][A-Za-z0-9_.]*)[[:space:]]*=[[:space:]]*(.*[^[:space:]])?[[:space:]]*$ ]]; then
      key=${BASH_REMATCH[1],,}
      sim_macros[$key]=${BASH_REMATCH[2]}
    else
      sim_fail "ERROR: on Line $number of submit file: $line"
    fi
  done < "$file"
  ((${#sim_q_exe[@]})) || sim_fail "ERROR: the submit file queues no job (no queue statement)"
  sim_init
  sim_locked -x sim_condor_enqueue || exit 1
  sim_start_runners
  if ((terse)); then
    echo "$sim_cluster.0 - $sim_cluster.$((${#sim_q_exe[@]} - 1))"
  else
    printf -v dots '%*s' "${#sim_q_exe[@]}" ''
    echo "Submitting job(s)${dots// /.}"
    echo "${#sim_q_exe[@]} job(s) submitted to cluster $sim_cluster."
  fi
}

# ---- for tests and the demo: every job, and stopping the cluster -----------------------------------------------

sim_list_all() { # every job the cluster holds, lag or not: <id> <idle|running|held|completed|removed> <live 0|1> <ExitCode> <ExitSignal>
  local where id dir status pgid code signal live
  local -a ids
  local -A name=([1]=idle [2]=running [3]=removed [4]=completed [5]=held [7]=suspended)
  sim_scan_groups
  for where in jobs history; do
    sim_sorted_ids ids "$sim_state/$where"
    for id in "${ids[@]}"; do
      dir=$sim_state/$where/$id
      sim_get status "$dir" JobStatus
      sim_get pgid "$dir" _pgid
      sim_get code "$dir" ExitCode
      sim_get signal "$dir" ExitSignal
      live=0
      [[ -n ${sim_live_groups[$pgid]:-} ]] && live=1
      printf '%s %s %s %s %s\n' "$id" "${name[$status]:-$status}" "$live" "$code" "$signal"
    done
  done
}

sim_remove_all() { # removes every queued job whatever refuse-removal says; sim_stopped: the groups it killed
  local id dir
  local -a ids
  sim_stopped=()
  sim_sorted_ids ids "$sim_state/jobs"
  for id in "${ids[@]}"; do
    dir=$sim_state/jobs/$id
    sim_stop_runner "$dir"
    [ -z "$sim_killed" ] || sim_stopped+=("$sim_killed")
    sim_set "$dir" RemoveReason "the simulated cluster was stopped"
    sim_to_history "$dir" 3
  done
}

sim_stopped=()
sim_stop() { # kills every runner and waits (a bounded while) until their process groups are gone
  local pgid i alive
  [ -e "$sim_state/lock" ] || return 0
  sim_locked -x sim_remove_all
  for ((i = 0; i < 100; i++)); do
    sim_scan_groups
    alive=0
    for pgid in "${sim_stopped[@]}"; do [[ -z ${sim_live_groups[$pgid]:-} ]] || alive=1; done
    ((alive)) || return 0
    sleep 0.05
  done
  sim_fail "sim-stop: process groups still alive: ${sim_stopped[*]}"
}
