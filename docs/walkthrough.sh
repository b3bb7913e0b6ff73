#!/bin/sh
# README.md, "What an officer does": one open call from its announcement to its settlement, on a simulated
# clock and a fresh simulation database (a new SQLite file, or the database URL given as the first argument).
# Run it from anywhere: `sh docs/walkthrough.sh`. tests/test_readme_walkthrough.py runs it on SQLite and
# PostgreSQL and checks that README.md shows every line below the first blank line.
set -eu
command -v coop >/dev/null || PATH="$(dirname "$0")/../.venv/bin:$PATH"  # made by `make serve` or `make test`

export COOP_DATABASE_URL="${1:-sqlite:///$(mktemp -d)/walkthrough.db}"  # a fresh SQLite file, or the URL given
coop db init --simulation                       # a simulation database: any moment may be claimed (a real one: now)
export COOP_ACTOR="Anna Urzędniczka"            # who acts (every record names its actor and role)
coop settings set officers-email ngo@um.leszno.example   # the office's mailbox, the same for every worker
export COOP_NOW=2026-01-02T12:00+01:00          # a simulated clock (or --at on any command)
coop org add --name "Fundacja Zdrowy Senior" --legal-form fundacja --krs 0000100002 \
    --address Leszno --email biuro@example.org --contact "Jan Prezes"
coop call create --title "Wspieranie aktywności lokalnej" --area "pomoc społeczna" --budget 100000
coop call announce OK/2026/001 --offer-deadline 2026-01-23 --selection-date 2026-02-13 \
    --execution-start 2026-03-01 --execution-end 2026-11-30 \
    --bip 2026-01-02T09:00+01:00 --board 2026-01-02T10:00+01:00 --website 2026-01-02T11:00+01:00
coop committee appoint OK/2026/001 --name "Jan Kowalski"
coop committee appoint OK/2026/001 --name "Ewa Nowak"    # the rule set asks for two members at least
coop offer file OK/2026/001 --organisation 0000100002 --title "Aktywny senior" --grant 25000 \
    --task-start 2026-04-01 --task-end 2026-06-30 --at 2026-01-12T10:00+01:00
export COOP_NOW=2026-01-26T09:00+01:00          # Monday after the offer deadline
coop tick                                       # the deadline passed: formal review
coop offer review OK/2026/001 1 accept
coop call close-review OK/2026/001              # on to the committee
for member in "Jan Kowalski" "Ewa Nowak"; do    # each member declares (no conflict), then scores
    coop committee declare OK/2026/001 --member "$member" --actor "$member" --role committee_member
    coop offer score OK/2026/001 1 --member "$member" --actor "$member" --role committee_member \
        --points capacity=9 --points costs=8 --points quality=9 --points own_funds=3 \
        --points contribution=4 --points track_record=5
done
export COOP_NOW=2026-02-13T12:00+01:00          # the selection date
coop call ranking OK/2026/001
coop call select OK/2026/001 --decision "Zarządzenie nr 45/2026" --grant 1=25000
coop call publish OK/2026/001 results --bip 2026-02-16T09:00+01:00 --board 2026-02-16T09:30+01:00 \
    --website 2026-02-16T10:00+01:00 --at 2026-02-16T10:30+01:00
coop contract sign OK/2026/001 1 --contract WZ.526.1.2026 --amount 25000 \
    --task-start 2026-04-01 --task-end 2026-06-30 --at 2026-03-02T10:00+01:00
export COOP_NOW=2026-07-20T10:00+02:00          # the task ended on 30 June
coop tick                                       # the final report is due: by 30 July (art. 18 ust. 1)
coop report submit OK/2026/001 1 --funds-used 25000
coop report accept OK/2026/001 1
coop contract settle OK/2026/001 1              # the last contract settled: the call is settled
coop history OK/2026/001                        # every step, hash-chained
coop audit verify
coop calendar period 2026-07-16 30              # 2026-08-15 is a Saturday and a holiday: moved to Monday 08-17
