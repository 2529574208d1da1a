"""troupe: multi-role finite state machines.

One script describes what every role does. The package is laid out as the
pipeline it runs:

- ``_script``   define: ``Role``, ``state``, ``Branch``, ``protocol``, ``Exit``
- ``_walk``     pure graph walks: reachability and numbering
- ``_check``    the rules, each with a stable code (``T101`` ...)
- ``_project``  the script as tables, and each role's local machine
- ``_compile``  ``script()``: walk, check, project -> ``Script``
- ``_plan``     the projection as flat lists for runtimes; message checks
- ``_machine``  the sans-IO endpoint of one role (feed it messages, ask what next)
- ``_trace``    trace events and the JSON Lines format
- ``_run``      ``run``, ``arun``, ``run_many`` over the runtimes
- ``runtime``   the only I/O: inproc, asyncio, threads, processes
- ``views``     graphs (DOT, Mermaid, SVG) and projection tables
- ``viewer``    traces -> replay page, sequence diagrams, live view
- ``bench``     the ``troupe bench`` workloads
- ``cli``       the ``troupe`` command, thin over the public API
"""

from . import views as views  # troupe.views.to_dot, .to_mermaid, .render, tables
from ._compile import Script as Script
from ._compile import ScriptWarning as ScriptWarning
from ._compile import diagnose as diagnose
from ._compile import script as script
from ._errors import Cancelled as Cancelled
from ._errors import Diagnostic as Diagnostic
from ._errors import MessageError as MessageError
from ._errors import ProtocolViolation as ProtocolViolation
from ._errors import RunError as RunError
from ._errors import ScriptError as ScriptError
from ._errors import SessionFailed as SessionFailed
from ._errors import Timeout as Timeout
from ._errors import TroupeError as TroupeError
from ._outcome import Outcome as Outcome
from ._outcome import Result as Result
from ._project import Action as Action
from ._project import BranchInfo as BranchInfo
from ._project import LocalMachine as LocalMachine
from ._project import ProtocolInfo as ProtocolInfo
from ._project import StateInfo as StateInfo
from ._project import Step as Step
from ._run import RUNTIMES as RUNTIMES
from ._run import arun as arun
from ._run import arun_many as arun_many
from ._run import run as run
from ._run import run_many as run_many
from ._script import Branch as Branch
from ._script import Context as Context
from ._script import Exit as Exit
from ._script import Message as Message
from ._script import Next as Next
from ._script import ProtocolDef as ProtocolDef
from ._script import Role as Role
from ._script import State as State
from ._script import protocol as protocol
from ._script import state as state
from ._trace import Event as Event
from ._trace import JsonlTracer as JsonlTracer
from ._trace import ListTracer as ListTracer
from ._trace import RingTracer as RingTracer
from ._trace import Tracer as Tracer
from ._trace import read_trace as read_trace
from .runtime import CancelToken as CancelToken

__version__ = "0.1.0"

__all__ = [
    "RUNTIMES",
    "Action",
    "Branch",
    "BranchInfo",
    "CancelToken",
    "Cancelled",
    "Context",
    "Diagnostic",
    "Event",
    "Exit",
    "JsonlTracer",
    "ListTracer",
    "LocalMachine",
    "Message",
    "MessageError",
    "Next",
    "Outcome",
    "ProtocolDef",
    "ProtocolInfo",
    "ProtocolViolation",
    "Result",
    "RingTracer",
    "Role",
    "RunError",
    "Script",
    "ScriptError",
    "ScriptWarning",
    "SessionFailed",
    "State",
    "StateInfo",
    "Step",
    "Timeout",
    "Tracer",
    "TroupeError",
    "arun",
    "arun_many",
    "diagnose",
    "protocol",
    "read_trace",
    "run",
    "run_many",
    "script",
    "state",
    "views",
]
