"""The web app: the pages people use, one room per audience. A nameko service
of its own (its web server only), reached through the gateway, which forwards
every page request here so pages and `/api/v1` share one origin."""

from __future__ import annotations

from wecare_common.memory import SettledMemory
from wecare_common.telemetry import Telemetry

# modules, not classes: `nameko run web.service` takes every class here for a service
from web.pages import (
    admin,
    auth,
    common,
    employee,
    hr,
    hr_bonus,
    hr_funding,
    hr_grants,
    hr_people,
    hr_plans,
    hr_reimbursements,
    network,
    networks_around,
    provider,
    worth,
)


class WebService(common.CommonPages, auth.AuthPages, employee.EmployeePages,
                 worth.WorthPages, provider.ProviderPages,
                 admin.AdminPages, hr.HrPages, hr_people.HrPeoplePages,
                 hr_funding.HrFundingPages, hr_plans.HrPlanPages, hr_grants.HrGrantPages,
                 hr_reimbursements.HrReimbursementPages, hr_bonus.HrBonusPages,
                 network.NetworkPages, networks_around.NetworksAroundPages):
    name = "web"
    memory = SettledMemory()  # startup's objects out of the collector's walks
    telemetry = Telemetry()  # metrics served, traces, request ids (wecare_common.telemetry)
