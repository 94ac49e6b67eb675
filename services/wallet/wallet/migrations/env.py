from wallet.models import Base
from wecare_common.migrations import run_env

run_env(Base.metadata)
