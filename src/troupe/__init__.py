"""troupe: multi-role finite state machines.

One script describes what every role does. The package is laid out as the
pipeline it runs:

- ``_script``   define: ``Role``, ``state``, ``Branch``, ``protocol``, ``Exit``
- ``_walk``     pure graph walks: reachability and numbering
- ``_check``    the rules, each with a stable code (``T101`` ...)
- ``_project``  the script as tables, and each role's local machine
- ``_compile``  ``script()``: walk, check, project -> ``Script``
- ``views``     graphs (DOT, Mermaid, SVG) and projection tables
- ``cli``       the ``troupe`` command, thin over the public API
"""

from ._compile import Script as Script
from ._compile import ScriptWarning as ScriptWarning
from ._compile import diagnose as diagnose
from ._compile import script as script
from ._errors import Diagnostic as Diagnostic
from ._errors import RunError as RunError
from ._errors import ScriptError as ScriptError
from ._errors import TroupeError as TroupeError
from ._project import Action as Action
from ._project import BranchInfo as BranchInfo
from ._project import LocalMachine as LocalMachine
from ._project import ProtocolInfo as ProtocolInfo
from ._project import StateInfo as StateInfo
from ._project import Step as Step
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

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Branch",
    "BranchInfo",
    "Context",
    "Diagnostic",
    "Exit",
    "LocalMachine",
    "Message",
    "Next",
    "ProtocolDef",
    "ProtocolInfo",
    "Role",
    "RunError",
    "Script",
    "ScriptError",
    "ScriptWarning",
    "State",
    "StateInfo",
    "Step",
    "TroupeError",
    "diagnose",
    "protocol",
    "script",
    "state",
]
