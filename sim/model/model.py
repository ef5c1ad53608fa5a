"""The organisation model: marketing and IT inside one firm, week by week.

``Organisation`` is a Mesa model of a firm whose marketing and IT departments must build customer
experience together although they are measured differently, speak different languages and distrust
each other (Accenture Interactive, "The CMO-CIO Disconnect"; Forrester 2016-2021). Staff are Mesa
agents at desks; they meet by the Allen curve, build ties and trust, learn each other's language,
and move marketing's requests to delivery through IT or around it; a vectorised customer base reacts
to what is delivered. ``docs/model.md`` describes the mechanisms and the evidence, module by module:

- :mod:`sim.model.office` (desks, contacts), :mod:`sim.model.network` (ties),
  :mod:`sim.model.trust`, :mod:`sim.model.knowledge` (fluency, glossary),
  :mod:`sim.model.work` (requests), :mod:`sim.model.data_flow`, :mod:`sim.model.customers`,
  :mod:`sim.model.finance`, :mod:`sim.model.ledger` (what people experienced),
  :mod:`sim.model.outcomes` (weekly outcomes).
"""

from __future__ import annotations

import math
import secrets
from collections import deque
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import OrthogonalMooreGrid

from sim.model import finance, outcomes
from sim.model.agents import (
    CIO,
    CMO,
    EMBEDDED,
    HYBRID,
    IT,
    LEAD,
    MARKETING,
    STAFF,
    HybridHire,
    Marketer,
    StaffTable,
    Technologist,
    kpi_mix,
)
from sim.model.customers import CustomerBase, Offering
from sim.model.data_flow import DataFlow
from sim.model.knowledge import WEEKS_PER_MONTH, learn
from sim.model.ledger import ExperienceLedger
from sim.model.network import CollaborationNetwork
from sim.model.office import ContactSampler, interleave, plan_office
from sim.model.parameters import ParameterError, Parameters
from sim.model.randomness import Streams
from sim.model.trust import DepartmentTrust
from sim.model.work import RequestPipeline

SEATING_LEVERS = ("colocation", "embedded_analysts", "hybrid_hires")
# Weeks of experience the customers have before week 0 (no churn, no newcomers): a year brings
# satisfaction and expectations to their steady state at the starting experience (a numerical
# warm-up of the customer arrays, not a mechanism).
SETTLE_WEEKS = 52
TRAILING_WEEKS = 13  # window of the flow outcomes (time to market, SaaS share)
_UNSET = object()  # a lever not read yet this week


class Organisation(mesa.Model):
    """A firm's marketing and IT departments, their office, network, work and customers.

    Build it from a :class:`~sim.model.parameters.Parameters` or from flat keyword values (as Mesa's
    SolaraViz and ``batch_run`` do): ``Organisation(shared_metrics=0.5, seed=7)``.

    Args:
        params: the full parameter set; flat keywords override its fields.
        seed: the root seed of every random stream (an int). Without one, a seed is drawn from the
            operating system and kept in ``self.seed`` so the run can be reproduced.
        rng: accepted as a synonym of ``seed`` (Mesa's name); must be an int.
        **overrides: parameter values by name.

    Raises:
        ParameterError: an unknown parameter, a wrong type or a value out of range.
    """

    def __init__(
        self,
        params: Parameters | None = None,
        *,
        seed: Any = None,
        rng: Any = None,
        **overrides: Any,
    ) -> None:
        if seed is not None and rng is not None and _root_seed(seed) != _root_seed(rng):
            raise ParameterError(
                f"seed={seed!r} and rng={rng!r} disagree; give one of them (they are synonyms)"
            )
        seed = _root_seed(seed if seed is not None else rng)
        base = params or Parameters()
        self.p = base.replace(**overrides) if overrides else base
        super().__init__(rng=seed)
        self.seed = seed
        self.streams = Streams(seed)
        self._levers_week: int | None = None
        self._levers: dict[str, Any] = {}
        p = self.p
        # Mesa's run_model() and batch_run() step while `running`: the firm stops at its horizon.
        self.running = p.weeks > 0

        self._build_staff()
        self.cmo_agent: CMO = self.employees[self.cmo]
        self.cio_agent: CIO = self.employees[self.cio]
        self.roadmap_until = 0.0  # the week until which the leaders' agreed roadmap holds
        self.network = CollaborationNetwork(
            len(self.staff),
            self.staff.department,
            p.tie_gain,
            p.tie_decay,
            p.trust_memory,
            p.failure_weight,
            p.tie_capacity,
            p.tie_threshold,
        )
        prior = (p.trust_prior_successes, p.trust_prior_failures)
        self.trust_marketing_in_it = DepartmentTrust(p.trust_memory, p.failure_weight, *prior)
        self.trust_it_in_marketing = DepartmentTrust(p.trust_memory, p.failure_weight, *prior)
        self.ledger = ExperienceLedger(len(self.staff))
        self.data_flow = DataFlow(
            p.start_maturity,
            p.start_debt,
            p.integrated_gain,
            p.silo_loss,
            p.debt_drag,
            p.debt_paydown,
        )
        self.maturity_at_start = p.start_maturity
        # A traditional firm's delivered worth a week: the industry's pace, which the market's
        # offering keeps (see Offering).
        reference = p.delivery_reference * p.request_rate * max(self.n_joined_marketers, 1)
        self.offering = Offering(
            p.expectation_drift / 52.0,
            reference,
            p.feature_ageing,
            p.offering_lead,
            p.market_level,
            p.maturity_experience_bonus,
        )
        self.customers = CustomerBase(p.n_customers, self.streams["customers"], p)
        self.customer_summary = self.customers.summary()
        self.accounts = finance.Accounts()
        # Subscriptions marketing already holds at week 0: a year of a share of its requests.
        self.saas_tools = p.start_saas_share * p.request_rate * p.n_marketers * 52
        self.saas_owned = np.zeros(len(self.staff))
        self.kpi = kpi_mix(self.staff.department, self.lever("shared_metrics"), p)
        self.pipeline = RequestPipeline(self)
        self._balance_the_economy()
        self.delivery_stopped = False
        self.week_stats: dict[str, float] = outcomes.empty_week()
        self.recent_deliveries: deque[tuple[int, int, str]] = deque()
        self.recent_routes: deque[tuple[int, str]] = deque()
        self._seated_with: tuple | None = None
        self._seat_everyone()
        # The seed is recorded with the outcomes, so a row of Mesa's batch_run can be re-run.
        self.datacollector = outcomes.OutcomeCollector(
            {"seed": outcomes.run_seed, **outcomes.MODEL_REPORTERS}
        )
        self.datacollector.collect(self)

    # -- set-up
    def _balance_the_economy(self) -> None:
        """Start the firm stationary, whatever the parameters: new customers balance the churn
        expected at the starting satisfaction (word of mouth first, marketing's delivery the
        rest), and the rest of the firm's overheads are what leaves ``operating_margin`` at
        set-up, given revenue, the cost of goods and marketing's and IT's own costs."""
        p = self.p
        usual = self._incident_rate(self.pipeline.priority_share(), 0)
        self.cio_agent.usual_incidents = self.cio_agent.alarm = usual
        # Customers settle at the starting experience, the usual incidents included.
        rng = self.streams["customers"]
        start = self.offering.level(p.start_maturity, p.start_maturity)
        levels = start - p.incident_hit * rng.poisson(usual, SETTLE_WEEKS)
        spread = p.experience_spread + p.silo_spread * (1.0 - p.start_maturity)
        self.customers.settle(rng, levels, spread, p.loss_aversion, p.satisfaction_weight)
        self.customer_summary = self.customers.summary()
        expected = self.customers.expected_churn(p.churn_monthly, p.churn_sensitivity)
        word_of_mouth = p.word_of_mouth * self.customer_summary["promoters"]
        # New customers a week from marketing's delivery, at a traditional firm's delivery.
        self.base_acquisition = max(expected - word_of_mouth, 0.0)
        self.delivery_pace = p.delivery_reference  # value per raised request, smoothed weekly
        self.demand_shock = 0.0  # log multiplier of demand: AR(1), see _serve_customers
        self.competition = 0.0  # log multiplier of churn from competitors' moves: AR(1)
        revenue = self.customers.n_active * p.revenue_per_customer
        salaries, it_run, saas, _ = self._own_costs()
        incidents = p.incident_cost * usual
        own = salaries + it_run + saas + incidents
        # A firm too small to carry its marketing and IT at that margin gets no overheads.
        self.overheads = max(revenue * (p.gross_margin - p.operating_margin) - own, 0.0)
        self.start_revenue = revenue

    def _own_costs(self) -> tuple[float, float, float, int]:
        """Marketing's and IT's weekly salaries (before the hybrid premium), IT's run cost and the
        SaaS subscriptions, and the number of IT staff: the costs _keep_accounts counts before
        incidents and levers, and the balance at set-up counts too."""
        p, st = self.p, self.staff
        joined = st.joined
        leaders = np.count_nonzero(joined & (st.role == LEAD))
        it_staff = int(np.count_nonzero(joined & (st.department == IT) & (st.role != LEAD)))
        salaries = p.salary * (np.count_nonzero(joined) - leaders)
        salaries += p.leader_salary_multiple * p.salary * leaders
        it_run = p.it_run_share * p.salary * it_staff + p.debt_cost * self.data_flow.debt
        saas = p.saas_subscription_cost * self.saas_tools
        return float(salaries), float(it_run), float(saas), it_staff

    def revenue_per_customer(self) -> float:
        """This week's revenue of one active customer: the base, lifted by data maturity above
        its starting level, along the industry trend, times the firm's demand shock."""
        p = self.p
        lift = 1.0 + p.maturity_revenue_lift * (self.data_flow.maturity - self.maturity_at_start)
        trend = (1.0 + p.industry_growth) ** (self.steps / 52.0)
        return p.revenue_per_customer * lift * trend * math.exp(self.demand_shock)

    def _build_staff(self) -> None:
        p = self.p
        rng = self.streams["staff"]
        nm, nt, nh = p.n_marketers, p.n_technologists, p.hybrid_hires
        self.cmo, self.cio = nm + nt, nm + nt + 1
        self.staff = StaffTable(nm + nt + 2 + nh)
        st = self.staff
        st.fill(range(nm), MARKETING, STAFF, rng)
        st.fill(range(nm, nm + nt), IT, STAFF, rng)
        st.fill([self.cmo], MARKETING, LEAD, rng)
        st.fill([self.cio], IT, LEAD, rng)
        st.joined[: nm + nt + 2] = True
        self.marketing_rows = np.concatenate([np.arange(nm), np.arange(nm + nt + 2, len(st))])
        self.technologist_rows = np.arange(nm, nm + nt)
        self.hybrid_rows = np.arange(nm + nt + 2, len(st))
        # A fixed order in which IT staff are embedded, then moved beside marketing: the same
        # people move whatever the dose, so doses compare on common random numbers.
        self.it_move_order = rng.permutation(self.technologist_rows)
        # Who rotates first, from a stream of its own (so that rotation leaves every other draw
        # as it was), and when in the year each person's weeks in the other department fall.
        base = np.concatenate([np.arange(nm), self.technologist_rows])
        self.rotation_order = self.streams["rotation"].permutation(base)
        self.rotation_offset = np.zeros(nm + nt + 2 + nh)
        self.rotation_offset[self.rotation_order] = np.arange(base.size) * 52.0 / base.size
        self.rotated = np.zeros(nm + nt + 2 + nh, dtype=bool)
        # Hybrids are drawn last, so that hiring them leaves everyone else's draws as they were.
        st.fill(self.hybrid_rows, MARKETING, HYBRID, rng)
        self.employees: list[Any] = []
        classes = [Marketer] * nm + [Technologist] * nt + [CMO, CIO] + [HybridHire] * nh
        for index, cls in enumerate(classes):
            self.employees.append(cls(self, index))

    def _seat_everyone(self) -> None:
        """Seat staff by the seating levers in force this week, and rebuild the contact sampler.

        Marketing's floor holds the CMO, the embedded analysts beside the CMO, then marketers and
        hybrids with the colocated IT staff spread evenly among them; IT's floor holds the rest.
        """
        p = self.p
        levers = tuple(self.lever(name) for name in SEATING_LEVERS)
        if levers == self._seated_with:
            return
        colocation, n_embedded, _ = levers
        self._seated_with = levers
        st = self.staff
        st.joined[self.hybrid_rows] = self.lever("hybrid_hires") > 0
        n_embedded = min(n_embedded, self.technologist_rows.size)
        embedded = self.it_move_order[:n_embedded]
        st.role[self.technologist_rows] = STAFF
        st.role[embedded] = EMBEDDED
        rest = self.it_move_order[n_embedded:]
        n_moved = round(colocation * rest.size)
        moved, staying = rest[:n_moved], rest[n_moved:]
        previous_floor = getattr(self, "seating", None)
        joined_marketing = [int(i) for i in self.marketing_rows if st.joined[i]]
        marketing_side = (
            [self.cmo]
            + [int(i) for i in embedded]
            + interleave(joined_marketing, [int(i) for i in moved])
        )
        it_side = [self.cio, *sorted(int(i) for i in staying)]
        self.seating = plan_office(
            p.office_layout, marketing_side, it_side, len(st), pitch_m=p.desk_pitch_m
        )
        if previous_floor is not None:
            changed = np.count_nonzero(previous_floor.floor_of != self.seating.floor_of)
            self.accounts.one_off += p.desk_move_cost * changed
        width, height = self.seating.grid_size
        self.office = OrthogonalMooreGrid((width, height), torus=False, random=self.random)
        for agent in self.employees:
            if st.joined[agent.index]:
                agent.take_desk()
        self.contact_sampler = ContactSampler(
            self.seating, p.contact_p0, p.allen_lambda_m, p.floor_factor, p.building_factor
        )

    # -- helpers used by the mechanisms
    def lever(self, name: str) -> Any:
        """A lever's value in force this week (its default before its start week)."""
        # Read for every request and contact: kept for the week it was read in.
        week = self.steps
        if self._levers_week != week:
            self._levers_week, self._levers = week, {}
        value = self._levers.get(name, _UNSET)
        if value is _UNSET:
            value = self._levers[name] = self.p.lever_value(name, week)
        return value

    @property
    def n_joined_marketers(self) -> int:
        return int(np.count_nonzero(self.staff.joined[self.marketing_rows]))

    @property
    def embedded_rows(self) -> np.ndarray:
        return self.technologist_rows[self.staff.role[self.technologist_rows] == EMBEDDED]

    @property
    def joined_hybrid_rows(self) -> np.ndarray:
        return self.hybrid_rows[self.staff.joined[self.hybrid_rows]]

    @property
    def roadmap_agreed(self) -> bool:
        """Whether a roadmap the CMO and CIO agreed at a meeting holds this week."""
        return self.steps < self.roadmap_until

    @property
    def cross_trust(self) -> float:
        """Mean of the two departments' trust in each other."""
        return 0.5 * (self.trust_marketing_in_it.value + self.trust_it_in_marketing.value)

    # -- the week
    def step(self) -> None:
        """One week, in this order: levers that start now; contacts, ties and learning; IT's
        priority; requests raised and routed; IT's work and SaaS go-lives; data, incidents and
        customers; money; then the weekly record."""
        week = self.steps
        p = self.p
        self.ledger.new_week(week)
        self.delivery_stopped = p.delivery_stop_week > 0 and week >= p.delivery_stop_week
        self._seat_everyone()
        self.kpi = kpi_mix(self.staff.department, self.lever("shared_metrics"), p)
        self.network.fade()
        self.trust_marketing_in_it.fade()
        self.trust_it_in_marketing.fade()
        stats = outcomes.empty_week()
        self._rotate()
        self.meet(stats)
        self.cmo_agent.meet(self.cio_agent, self.streams.week("leaders", week))

        priority = self.pipeline.priority_share()
        self.pipeline.plan_week(priority)
        self.pipeline.raise_requests()
        # Technologists work their own queues, in creation (row) order so runs are identical
        # across scenarios; only those with a queue have anything to do this week (the loop
        # skips Mesa's AgentSet.do, which cost about 4 us a technologist a week).
        self.pipeline.work_queues()
        self.pipeline.deliver_saas()
        self._record_flow(stats, priority)

        self.data_flow.week(1.0 - priority)
        incidents = self._incidents(priority)
        self.cio_agent.react(incidents)
        self.ledger.add("incidents", [self.cmo, self.cio], incidents)  # survey only
        self.offering.age()
        self._serve_customers(stats, incidents)
        self._keep_accounts(stats, incidents)
        self.week_stats = stats
        self.running = self.steps < p.weeks
        self.datacollector.collect(self)

    def meet(self, stats: dict[str, float]) -> None:
        """This week's contacts: at the desk by the Allen curve, remote along existing ties, and
        at joint occasions; then ties and fluency grow from them."""
        p, st = self.p, self.staff
        n = len(st)
        remote_share = self.lever("remote_share")
        remote = (self.streams.week("remote", self.steps).random(n) < remote_share) & st.joined
        present = st.joined & ~remote
        # Remote staff still work with the people their desk places them among, by call and chat,
        # but cross-department contact thins: remote work silos collaboration (Yang et al. 2022).
        src, dst = self.contact_sampler.sample(self.streams.week("contacts", self.steps), st.joined)
        src, dst = self._thin_cross(src, dst, remote)
        work_i, work_j = src, dst
        soc_i, soc_j = self._occasions(present)
        rot_i, rot_j = self._rotation_contacts()
        work_i, work_j = np.concatenate([work_i, rot_i]), np.concatenate([work_j, rot_j])
        self.network.reinforce(work_i, work_j)
        self.network.reinforce(soc_i, soc_j, p.occasion_gain_share)

        dep = st.department
        cross_work = dep[work_i] != dep[work_j]
        cross_soc = dep[soc_i] != dep[soc_j]
        per_person = np.bincount(work_i[cross_work], minlength=n) + np.bincount(
            work_j[cross_work], minlength=n
        )
        per_person = per_person + p.occasion_gain_share * (
            np.bincount(soc_i[cross_soc], minlength=n) + np.bincount(soc_j[cross_soc], minlength=n)
        )
        training = self.lever("cross_training")
        st.fluency[:] = learn(
            st.fluency, per_person, training, p.fluency_gain, p.training_gain, p.fluency_decay
        )
        if training > 0:
            # Cross-training also teaches marketers technology, at training_skill_pace (a half)
            # of the pace of its language.
            hours = training / WEEKS_PER_MONTH
            keep = (1.0 - p.training_skill_pace * p.training_gain) ** hours
            mk = dep == MARKETING
            st.tech_skill[mk] = 1.0 - (1.0 - st.tech_skill[mk]) * keep

        self.ledger.add("contacts", np.concatenate([work_i, work_j]))
        self.ledger.add("contacts_cross", np.concatenate([work_i[cross_work], work_j[cross_work]]))
        all_contacts = len(work_i) + len(soc_i)
        stats["contacts"] = float(all_contacts)
        stats["cross_contacts"] = float(np.count_nonzero(cross_work) + np.count_nonzero(cross_soc))
        stats["social_contacts"] = float(len(soc_i))
        stats["remote_people"] = float(np.count_nonzero(remote))

    def _thin_cross(
        self, src: np.ndarray, dst: np.ndarray, remote: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Keep a cross-department contact with a chance that rises with the departments' trust
        and the pair's shared language (people avoid those they distrust or cannot follow), and
        that falls by ``remote_cross_factor`` when either of them works remotely that week."""
        st = self.staff
        cross = st.department[src] != st.department[dst]
        # A stream of its own: the sampling of contacts above must not share its draws with the
        # decision to keep them, or a change of either would shift the other. One number per
        # contact, cross or not, so the draws never depend on how many are cross.
        u = self.streams.week("contact_thinning", self.steps).random(src.size)
        at = np.flatnonzero(cross)  # about one contact in twenty: the chance only for these
        a, b = src[at], dst[at]
        glossary = bool(self.lever("shared_glossary"))
        fl = 0.5 * (st.fluency[a] + st.fluency[b])
        if glossary:
            fl = np.maximum(fl, self.p.glossary_floor)
        trust_floor, fluency_floor = self.p.contact_trust_floor, self.p.contact_fluency_floor
        accept = (trust_floor + (1.0 - trust_floor) * self.cross_trust) * (
            fluency_floor + (1.0 - fluency_floor) * fl
        )
        accept = np.where(remote[a] | remote[b], accept * self.p.remote_cross_factor, accept)
        keep = ~cross
        keep[at] = u[at] < accept
        return src[keep], dst[keep]

    def _rotate(self) -> None:
        """Role rotation: who works in the other department this week. The first
        ``role_rotation`` share of the rotation order, and the two leaders, each spend
        ``rotation_weeks`` a year there, staggered through the year. A rotated technologist
        gives marketing none of the week's effort and a rotated marketer raises no request: the
        cost of the lever is their own department's output."""
        st, p = self.staff, self.p
        self.rotated[:] = False
        st.capacity[:] = 1.0
        share = self.lever("role_rotation")
        if share <= 0:
            return
        n = round(share * self.rotation_order.size)
        pool = np.concatenate([self.rotation_order[:n], [self.cmo, self.cio]])
        phase = (self.steps + self.rotation_offset[pool]) % 52.0
        offset = np.where(pool == self.cio, 26.0, 0.0)  # the leaders swap half a year apart
        away = pool[((phase + offset) % 52.0) < p.rotation_weeks]
        self.rotated[away] = st.joined[away]
        st.capacity[self.rotated & (st.department == IT) & (st.role != LEAD)] = 0.0
        # Working in IT teaches a marketer technology, with diminishing returns.
        keep = 1.0 - p.rotation_skill_gain
        mk = self.rotated & (st.department == MARKETING)
        st.tech_skill[mk] = 1.0 - (1.0 - st.tech_skill[mk]) * keep

    def _rotation_contacts(self) -> tuple[np.ndarray, np.ndarray]:
        """Work contacts of the rotated with the other department's people, among whom they
        work this week."""
        who = np.flatnonzero(self.rotated)
        if who.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        st = self.staff
        rng = self.streams.week("rotation", self.steps)
        counts = rng.poisson(self.p.rotation_contacts, who.size)
        src = np.repeat(who, counts)
        dst = np.empty(src.size, dtype=np.int64)
        for dep in (MARKETING, IT):
            hosts = np.flatnonzero(st.joined & (st.department != dep) & ~self.rotated)
            mine = st.department[src] == dep
            if hosts.size and mine.any():
                dst[mine] = hosts[rng.integers(0, hosts.size, int(mine.sum()))]
            elif mine.any():
                dst[mine] = src[mine]  # nobody to meet: dropped below
        keep = dst != src
        return src[keep], dst[keep]

    def _occasions(self, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Joint lunches and customer visits: each attendee meets people of the other department."""
        rng = self.streams.week("occasions", self.steps)
        rate = self.lever("joint_occasions") / WEEKS_PER_MONTH
        n_occ = int(rng.poisson(rate)) if rate > 0 else 0
        st, p = self.staff, self.p
        encounters = p.occasion_encounters
        pairs_i, pairs_j = [], []
        for _ in range(n_occ):
            attend = present & (rng.random(len(st)) < p.occasion_attendance)
            mk = np.flatnonzero(attend & (st.department == MARKETING))
            it = np.flatnonzero(attend & (st.department == IT))
            if mk.size == 0 or it.size == 0:
                continue
            pairs_i.append(np.repeat(mk, encounters))
            pairs_j.append(it[rng.integers(0, it.size, mk.size * encounters)])
            self.accounts.one_off += attend.sum() * (
                p.occasion_cost + p.occasion_hours * p.salary / finance.HOURS_PER_WEEK
            )
        if not pairs_i:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(pairs_i), np.concatenate(pairs_j)

    def _record_flow(self, stats: dict[str, float], priority: float) -> None:
        week = self.steps
        raised = self.pipeline.raised_this_week
        delivered = self.pipeline.delivered_this_week
        for req in raised:
            self.recent_routes.append((week, req.route))
        for req in delivered:
            self.recent_deliveries.append((week, req.time_to_market, req.route))
        horizon = week - TRAILING_WEEKS
        while self.recent_routes and self.recent_routes[0][0] <= horizon:
            self.recent_routes.popleft()
        while self.recent_deliveries and self.recent_deliveries[0][0] <= horizon:
            self.recent_deliveries.popleft()
        stats["requests_raised"] = float(len(raised))
        stats["requests_delivered"] = float(len(delivered))
        stats["requests_late"] = float(sum(r.delivered_week > r.due_week for r in delivered))
        stats["requests_reworked"] = float(self.pipeline.reworked_this_week)
        stats["requests_promised"] = float(sum(r.promised for r in raised))
        stats["requests_abandoned"] = float(self.pipeline.abandoned_this_week)
        stats["it_priority"] = priority
        # Marketers live with their SaaS tools: each week of use of an unintegrated tool.
        st = self.staff
        self.saas_owned *= 1.0 - 1.0 / self.p.saas_life_weeks
        users = self.marketing_rows[st.joined[self.marketing_rows]]
        self.ledger.add("unintegrated_use", users, self.saas_owned[users])

    def _incidents(self, priority: float) -> int:
        """Incidents this week: more with integration debt and with less of IT's effort on its own
        reliability work; under light governance each low-risk change shipped without the full
        checks carries a small risk of its own."""
        unchecked = sum(
            r.route == "it" and r.complexity < self.p.low_risk_complexity
            for r in self.pipeline.delivered_this_week
        )
        rate = self._incident_rate(priority, unchecked)
        return int(self.streams.week("incidents", self.steps).poisson(rate))

    def _incident_rate(self, priority: float, unchecked: int) -> float:
        """Expected incidents this week at IT priority ``priority`` for marketing, with
        ``unchecked`` low-risk changes shipped under light governance."""
        p = self.p
        reliability = 1.0 - priority
        rate = (
            p.incident_rate
            * (1.0 + self.data_flow.debt / p.incident_debt_scale)
            * (p.incident_neglect_multiplier - reliability)
        )
        return rate + p.change_risk * self.lever("governance_agility") * unchecked

    def _serve_customers(self, stats: dict[str, float], incidents: int) -> None:
        p = self.p
        rng = self.streams.week("customers", self.steps)
        cust = self.customers
        maturity = self.data_flow.maturity
        level = self.offering.level(maturity, self.maturity_at_start) - p.incident_hit * incidents
        spread = p.experience_spread + p.silo_spread * (1.0 - maturity)
        cust.experience(rng, level, spread, p.loss_aversion, p.satisfaction_weight)
        before = cust.n_active
        # The firm's demand shock (demand, competitors): AR(1) in logs around zero.
        rho = p.demand_persistence
        innovation = p.demand_shock_sd * math.sqrt(1.0 - rho * rho)
        shock = float(self.streams.week("demand", self.steps).standard_normal())
        self.demand_shock = rho * self.demand_shock + innovation * shock
        # What marketing delivered, by value x quality x timeliness, per request it raises:
        # smoothed over about a quarter, against what a traditional firm delivers.
        delivered = sum(r.worth(p.timeliness_weeks) for r in self.pipeline.delivered_this_week)
        raising = max(p.request_rate * max(self.n_joined_marketers, 1), 1e-9)
        self.delivery_pace += (delivered / raising - self.delivery_pace) / p.delivery_pace_weeks
        pace = max(self.delivery_pace, 0.0) / p.delivery_reference
        # Word of mouth comes from last week's promoters: recommending takes a while.
        promoters = self.customer_summary["promoters"]
        new_mean = (
            self.base_acquisition * pace**p.delivery_elasticity * math.exp(self.demand_shock)
            + p.word_of_mouth * promoters
        )
        # Competitors' moves (offers, launches, price cuts) pull customers away whatever this
        # firm's experience: an AR(1) in the log of the churn hazard, independent of demand.
        rho = p.competition_persistence
        innovation = p.competition_shock_sd * math.sqrt(1.0 - rho * rho)
        shock = float(self.streams.week("competition", self.steps).standard_normal())
        self.competition = rho * self.competition + innovation * shock
        churn_now = min(p.churn_monthly * math.exp(self.competition), 0.99)
        left = cust.churn_and_acquire(
            self.streams.week("churn", self.steps), churn_now, p.churn_sensitivity, new_mean
        )
        stats["churned"] = float(left)
        stats["churn"] = left / before if before else 0.0
        self.customer_summary = cust.summary()
        stats["incidents"] = float(incidents)
        stats["experience_level"] = level

    def _overheads(self, revenue: float) -> float:
        """The rest of the firm's overheads this week: semi-fixed, they follow the trailing
        ``overhead_window`` weeks' revenue (this week's included) relative to the revenue at
        set-up, with elasticity ``overhead_elasticity_up`` above it and
        ``overhead_elasticity_down`` below (sticky costs; Anderson, Banker and Janakiraman
        2003). Fixed overheads gave any lever that grew revenue an operating leverage no large
        firm has: the margin moved three times further than the sourced bound (docs/model.md)."""
        p = self.p
        if self.start_revenue <= 0 or self.overheads <= 0:
            return self.overheads
        history = self.accounts.history
        recent = [history[-k].revenue for k in range(1, min(p.overhead_window, len(history) + 1))]
        ratio = (sum(recent) + revenue) / (len(recent) + 1) / self.start_revenue
        elasticity = p.overhead_elasticity_up if ratio >= 1.0 else p.overhead_elasticity_down
        return self.overheads * ratio**elasticity

    def _keep_accounts(self, stats: dict[str, float], incidents: int) -> None:
        p, st = self.p, self.staff
        joined = st.joined
        ledger = finance.Ledger()
        ledger.revenue = self.customers.n_active * self.revenue_per_customer()
        ledger.cost_of_goods = (1.0 - p.gross_margin) * ledger.revenue
        ledger.overheads = self._overheads(ledger.revenue)
        hybrids = joined & (st.role == HYBRID)
        premium = p.salary * p.hybrid_premium * np.count_nonzero(hybrids)
        self.saas_tools *= 1.0 - 1.0 / p.saas_life_weeks
        ledger.salaries, ledger.it_run, ledger.saas, it_staff = self._own_costs()
        ledger.incidents = p.incident_cost * incidents
        hourly = p.salary / finance.HOURS_PER_WEEK
        training = (
            self.lever("cross_training") / WEEKS_PER_MONTH * hourly * np.count_nonzero(joined)
        )
        glossary = p.glossary_upkeep if self.lever("shared_glossary") else 0.0
        if self.lever("shared_glossary") and self.steps == max(1, p.shared_glossary_start):
            self.accounts.one_off += p.glossary_cost
        planning = (
            p.planning_time_share * 2 * p.leader_salary_multiple * p.salary
            if self.lever("joint_planning")
            else 0.0
        )
        ledger.salaries += premium
        ledger.levers = training + glossary + planning
        self.accounts.close(ledger)
        # Rotated staff are paid for weeks their own department's work does not get: the lever's
        # cost (already inside salaries, so counted here and not again in costs).
        stats["rotated_staff"] = float(np.count_nonzero(self.rotated & (st.role != LEAD)))
        stats["lever_cost"] = ledger.levers + premium + p.salary * stats["rotated_staff"]
        it_spend = p.salary * it_staff + ledger.it_run
        stats["tech_spend_outside_it"] = ledger.saas / (ledger.saas + it_spend)

    # -- running -----------------------------------------------------------------------------------
    def run(self, weeks: int | None = None) -> Organisation:
        """Run ``weeks`` steps (default: the ``weeks`` parameter) and return the model."""
        for _ in range(self.p.weeks if weeks is None else weeks):
            self.step()
        return self

    def weekly(self) -> pd.DataFrame:
        """The weekly outcomes as a DataFrame indexed by week (0 = the state at set-up); the seed,
        the same in every week, is :attr:`seed`."""
        df = self.datacollector.get_model_vars_dataframe().drop(columns="seed")
        df.index.name = "week"
        return df


def _root_seed(seed: Any) -> int:
    """The run's integer root seed; a missing seed is drawn from the OS and kept, a non-integer
    (a text box in the browser) is read as one or refused.

    Mesa also accepts a NumPy ``Generator`` or ``SeedSequence`` as ``rng``; orgsim refuses them
    with a message, because every stream of a run derives from one integer root seed, which is
    stored with the results so the run can be reproduced (a Generator cannot be stored)."""
    if seed is None:
        return secrets.randbelow(2**31)
    if isinstance(seed, (np.random.Generator, np.random.SeedSequence, np.random.BitGenerator)):
        raise ParameterError(
            f"seed/rng={type(seed).__name__} is not supported: orgsim derives every random stream "
            "from one whole-number root seed, stored with the results; pass an int, e.g. rng=7"
        )
    if isinstance(seed, bool):
        raise ParameterError(f"seed={seed!r} must be a whole number from 0 to {2**63 - 1}")
    if isinstance(seed, float) and seed.is_integer():
        seed = int(seed)
    if isinstance(seed, str):
        try:
            seed = int(seed.strip())
        except ValueError:
            raise ParameterError(f"seed={seed!r} must be a whole number") from None
    if not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**63:
        raise ParameterError(f"seed={seed!r} must be a whole number from 0 to {2**63 - 1}")
    return int(seed)
