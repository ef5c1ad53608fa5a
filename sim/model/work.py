"""CX initiatives from idea to customer: requirements, routing, priority, promises, delivery
(docs/model.md: work).

Each week marketers raise requests with a customer value, a technical complexity and an urgency.

1. Requirements: the chance that a request is misunderstood rises with complexity and falls with
   the requester's technology skill, the fluency between requester and technologist, their tie
   strength (complex knowledge needs strong ties, Hansen 1999), the glossary, a hybrid or embedded
   analyst taking part, and IT being involved early.
2. Routing: marketing buys SaaS around IT when IT looks slow, when it distrusts IT, and when its
   KPIs reward speed; ``saas_policy`` damps or frees the choice. SaaS is fast but unintegrated.
3. Priority: IT gives marketing's requests a share of its effort that rises with the CX weight of
   its KPIs (shared metrics), its trust in marketing, joint planning and early involvement.
4. Promises: marketing commits dates without IT's agreement, less often under joint planning,
   trust and shared metrics; a missed promise is a failure for trust on both sides.
5. Delivery: weekly progress from capacity times skill, after a governance wait that
   ``governance_agility`` shortens for low-risk work; a misunderstood result is reworked (at most
   twice, then delivered as it is, missing what was meant). Quality depends on skill and clarity.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import EMBEDDED, HYBRID, SPEED
from sim.model.data_flow import silo_weight, violation_share
from sim.model.parameters import DEFAULTS, Parameters

if TYPE_CHECKING:
    from sim.model.model import Organisation

# For the survey's ledger only (docs/survey.md, low_priority): a request that has passed its
# approval wait (governance) and still waits this many weeks or more for IT to start it counts as
# "not started in time": the wait is then IT's queue, not its process. One week: once IT
# balances its queues (a requester asks whoever's tie is worth the wait), an approved request is
# normally started in the week it is approved (93% of them in the default traditional firm).
START_WAIT_WEEKS = 1


# Each request carries its own uniform random numbers, drawn when it is raised, one column per
# decision. Pulling a lever changes which decisions are taken but never shifts the draws of other
# requests, so paired scenarios stay on common random numbers (Starsim's rule).
U_ROUTE, U_ANALYST, U_HYBRID, U_WHO, U_VIOLATION, U_PROMISE, U_MISSED, U_QUALITY = range(8)
U_REWORK = 8  # two columns (the most max_reworks allows): one per check of a finished result
U_TECH = 10  # three columns: candidate technologists when no known contact has time
N_UNIFORMS = 13


@dataclass(slots=True)
class Request:
    """One customer-facing initiative raised by a marketer."""

    id: int
    requester: int
    raised_week: int
    value: float
    complexity: float
    urgency: float
    u: np.ndarray  # this request's own uniform draws, see U_* above
    clarity: float = 1.0
    route: str = "it"
    assignee: int = -1
    bridge: int = -1
    effort_total: float = 0.0
    effort_left: float = 0.0
    start_week: int = 0
    due_week: int = 0
    promised: bool = False
    reworks: int = 0
    delivered_week: int = -1
    quality: float = 0.0

    @property
    def time_to_market(self) -> int:
        return self.delivered_week - self.raised_week

    def timeliness(self, timeliness_weeks: float) -> float:
        """The share of its worth a delivery keeps after its time to market (an e-folding time
        of ``timeliness_weeks``): a campaign or feature that comes late meets less demand."""
        return math.exp(-self.time_to_market / timeliness_weeks)

    def worth(self, timeliness_weeks: float) -> float:
        """What the delivery is worth to customers and to marketing's campaigns: value x quality
        x timeliness."""
        return self.value * self.quality * self.timeliness(timeliness_weeks)


def saas_damping(p: Parameters, policy: str) -> float:
    """Friction of buying SaaS under ``policy``: hidden and expensed against the rules
    (``forbid_saas_damping``), allowed within guidelines (``guidelines_saas_damping``), or free of
    any friction ("laissez-faire": 1 by definition)."""
    if policy == "forbid":
        return p.forbid_saas_damping
    if policy == "guidelines":
        return p.guidelines_saas_damping
    return 1.0


class RequestPipeline:
    """The queue of marketing requests and the weekly flow through it.

    The model owns the pipeline; technologists call :meth:`work_on_queue` in the work stage.
    """

    def __init__(self, model: Organisation) -> None:
        self.model = model
        self.queues: dict[int, deque[Request]] = {}
        self.saas_pending: deque[Request] = deque()
        self.next_id = 0
        self.delivered_this_week: list[Request] = []
        self.raised_this_week: list[Request] = []
        self.reworked_this_week = 0
        self.abandoned_this_week = 0
        self.allowance = np.zeros(len(model.staff))

    # -- derived weekly quantities -----------------------------------------------------------------
    def backlog_effort(self) -> float:
        return sum(r.effort_left for q in self.queues.values() for r in q)

    def load(self) -> np.ndarray:
        """Remaining effort queued at each technologist."""
        out = np.zeros(len(self.model.staff))
        for tech, q in self.queues.items():
            out[tech] = sum(r.effort_left for r in q)
        return out

    @staticmethod
    def efforts(complexity: np.ndarray, agility: float, p: Parameters = DEFAULTS) -> np.ndarray:
        """Effort units of each request (``effort_base`` plus ``effort_per_complexity`` times its
        complexity); light governance trims the paperwork of low-risk work by ``agile_effort_cut``
        at full agility."""
        effort = p.effort_base + p.effort_per_complexity * complexity
        low_risk = complexity < p.low_risk_complexity
        return np.where(low_risk, effort * (1.0 - p.agile_effort_cut * agility), effort)

    @staticmethod
    def effort(complexity: float, agility: float, p: Parameters = DEFAULTS) -> float:
        """Effort units of one request (:meth:`efforts`)."""
        return float(RequestPipeline.efforts(np.array([complexity]), agility, p)[0])

    # -- 1-4: raising, requirements, routing, promises
    def raise_requests(self) -> None:
        """Marketers (hybrids included) raise this week's requests and decide their route.

        The week's requests are handled as arrays: their ties with every technologist, the
        terms of the SaaS choice, the bridges, the clarity of the requirements, the promises and
        the ledger counts are whole-array operations (issue 14). Only what one request's choice
        changes for the next stays a pass in request order: whom to ask and whether to buy SaaS
        both weigh IT's queues, which every request routed to IT lengthens.
        """
        m = self.model
        drawn = [
            self._draw_requests(
                m.streams.week("requests", m.steps), m.marketing_rows[: m.p.n_marketers]
            )
        ]
        if m.hybrid_rows.size:
            # Hybrids draw from a stream of their own, so hiring them leaves the requests of
            # everyone else exactly as they were (common random numbers).
            drawn.append(
                self._draw_requests(m.streams.week("hybrid_requests", m.steps), m.hybrid_rows)
            )
        requesters, values, complexity, urgency, uniforms = (
            np.concatenate(parts) for parts in zip(*drawn, strict=True)
        )
        week = m.steps
        columns = zip(
            requesters.tolist(), values.tolist(), complexity.tolist(), urgency.tolist(), strict=True
        )
        reqs = [
            Request(self.next_id + k, requester, week, value, complex_, urgent, u=uniforms[k])
            for k, (requester, value, complex_, urgent) in enumerate(columns)
        ]
        self.next_id += len(reqs)
        self.raised_this_week = reqs
        if not reqs:
            return
        p = m.p
        techs = m.technologist_rows  # ascending rows, so positions sort as rows do
        agility = m.lever("governance_agility")
        efforts = self.efforts(complexity, agility, p).tolist()
        waits = self.governance_waits(complexity, agility).tolist()
        worth, candidates = self._tie_worth(requesters, uniforms)
        speed, trust_term, urgent, complex_ = self._saas_terms(requesters, urgency, complexity)
        rate = np.maximum(self.allowance[techs], 0.02)
        load = self.load()
        assignees = np.empty(len(reqs), dtype=np.int64)
        expected = np.empty(len(reqs))
        saas = np.zeros(len(reqs), dtype=bool)
        u_route = uniforms[:, U_ROUTE].tolist()
        for k in range(len(reqs)):
            # Whom to ask: the candidate whose tie is worth the wait (see _assign).
            at = int(np.argmax(np.where(candidates[k], worth[k] - load[techs] / rate, -np.inf)))
            tech = int(techs[at])
            assignees[k] = tech
            # IT's estimate of its time to market: the approval wait, then the assignee's queue
            # and this request at the assignee's weekly effort for marketing. Marketing asks
            # before it chooses, so it is also the delay it weighs against SaaS (step 2).
            expected[k] = estimate = waits[k] + (load[tech] + efforts[k]) / rate[at]
            logit = self._saas_logit(estimate, speed[k], trust_term, urgent[k], complex_[k])
            saas[k] = u_route[k] < self._saas_chance(logit)
            if not saas[k]:
                load[tech] += efforts[k]
        bridges = self._bridges(requesters, uniforms)
        clarity = self.clarities(requesters, assignees, bridges, complexity)
        for req, tech, bridge, clear in zip(
            reqs, assignees.tolist(), bridges.tolist(), clarity.tolist(), strict=True
        ):
            req.assignee, req.bridge, req.clarity = tech, bridge, clear
        self._route_all(reqs, expected, saas)

    def _draw_requests(self, rng: np.random.Generator, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """Requesters, values, complexities and urgencies of this week's requests from ``rows``.

        Counts are drawn for every row, joined or not, so the number of draws never depends on who
        has joined yet.
        """
        p = self.model.p
        counts = rng.poisson(p.request_rate, rows.size)
        # Not yet joined, or working in IT this week (role rotation): no requests of their own.
        counts[~self.model.staff.joined[rows] | self.model.rotated[rows]] = 0
        requesters = np.repeat(rows, counts)
        n = requesters.size
        return (
            requesters,
            rng.lognormal(0.0, p.request_value_sd, n),
            rng.beta(p.request_complexity_shape, p.request_complexity_shape, n),
            rng.random(n),
            rng.random((n, N_UNIFORMS)),
        )

    def _tie_worth(
        self, requesters: np.ndarray, uniforms: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """What each requester's tie with each technologist is worth, in weeks of queue, and the
        technologists she might ask: those she has a tie with and three drawn at random (shape
        (requests, technologists) both). A full-strength, trusted tie is worth
        ``tie_worth_weeks`` weeks (complex knowledge travels best over strong ties, Hansen
        1999). Ties and trust do not change while requests are raised (contacts came before,
        outcomes come after), so they are read once for the week."""
        m = self.model
        network, techs = m.network, m.technologist_rows
        # (requests, technologists) at once: the pair lookups broadcast over both axes.
        strength, trusted = network.ties_of(requesters[:, None], techs[None, :])
        worth = m.p.tie_worth_weeks * strength * (2.0 * trusted)
        candidates = strength >= network.threshold
        drawn = (uniforms[:, U_TECH : U_TECH + 3] * techs.size).astype(np.int64)
        candidates[np.arange(requesters.size)[:, None], drawn] = True
        return worth, candidates

    def _assign(self, req: Request, load: np.ndarray) -> int:
        """The technologist the requester asks: among the people she has a tie with and three
        she might ask at random, the one whose tie is worth the wait (:meth:`_tie_worth`), so a
        strong tie is worth a wait but not an unbounded one; the queue is the technologist's load
        at their weekly effort for marketing. :meth:`raise_requests` makes the same choice for
        the week's requests in one pass."""
        techs = self.model.technologist_rows
        worth, candidates = self._tie_worth(np.array([req.requester]), req.u[None, :])
        wait = load[techs] / np.maximum(self.allowance[techs], 0.02)
        return int(techs[int(np.argmax(np.where(candidates[0], worth[0] - wait, -np.inf)))])

    def _bridges(self, requesters: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """A hybrid or embedded analyst who takes part in each request's requirements, or -1:
        a hybrid's own request has her; otherwise an embedded analyst or a hybrid joins with
        the share of marketers they can serve (``analyst_reach``, ``hybrid_reach``)."""
        m = self.model
        out = np.full(requesters.size, -1, dtype=np.int64)
        n_marketers = max(m.n_joined_marketers, 1)
        analysts, hybrids = m.embedded_rows, m.joined_hybrid_rows
        taken = np.zeros(requesters.size, dtype=bool)
        if analysts.size:
            taken = uniforms[:, U_ANALYST] < min(
                1.0, analysts.size * m.p.analyst_reach / n_marketers
            )
            out[taken] = analysts[(uniforms[taken, U_WHO] * analysts.size).astype(np.int64)]
        if hybrids.size:
            joins = ~taken & (
                uniforms[:, U_HYBRID] < min(1.0, hybrids.size * m.p.hybrid_reach / n_marketers)
            )
            out[joins] = hybrids[(uniforms[joins, U_WHO] * hybrids.size).astype(np.int64)]
        own = m.staff.role[requesters] == HYBRID
        out[own] = requesters[own]
        return out

    def _bridge(self, req: Request) -> int:
        """A hybrid or embedded analyst who takes part in the requirements, or -1
        (:meth:`_bridges` for one request)."""
        return int(self._bridges(np.array([req.requester]), req.u[None, :])[0])

    def clarities(
        self,
        requesters: np.ndarray,
        assignees: np.ndarray,
        bridges: np.ndarray,
        complexity: np.ndarray,
    ) -> np.ndarray:
        """Probability in [0, 1] that each request is understood as meant (docs/model.md: work,
        step 1)."""
        m = self.model
        p, staff = m.p, m.staff
        glossary = bool(m.lever("shared_glossary"))
        # The pair's mean fluency, as effective_fluency gives it for each.
        a, b = staff.fluency[requesters], staff.fluency[assignees]
        if glossary:
            a, b = np.maximum(a, p.glossary_floor), np.maximum(b, p.glossary_floor)
        pair_fluency = (a + b) / 2.0
        tech_skill = staff.tech_skill[requesters]
        factor = np.ones(requesters.size)
        bridged = bridges >= 0
        if bridged.any():
            who = bridges[bridged]
            pair_fluency[bridged] = np.maximum(pair_fluency[bridged], staff.fluency[who])
            tech_skill = tech_skill.copy()
            tech_skill[bridged] = np.maximum(tech_skill[bridged], staff.tech_skill[who])
            factor[bridged] *= p.bridge_clarity
        if m.lever("it_involved_early"):
            factor *= p.early_clarity
        tie = m.network.strengths_of(requesters, assignees)
        miss = (
            p.misunderstanding
            * complexity
            * (1.0 - pair_fluency)
            * (1.0 - p.requester_skill_clarity * tech_skill)
            * (1.0 - p.tie_clarity * tie * complexity)
            * factor
        )
        if glossary:
            # The glossary settles the worst confusions: no request is a coin toss any more.
            miss = np.minimum(miss, p.glossary_miss_cap * p.misunderstanding * complexity)
        return 1.0 - np.clip(miss, 0.0, 1.0)

    def clarity(self, req: Request) -> float:
        """Probability in [0, 1] that the request is understood as meant (:meth:`clarities`
        for one request)."""
        one = np.array([req.requester]), np.array([req.assignee]), np.array([req.bridge])
        return float(self.clarities(*one, np.array([req.complexity]))[0])

    def _saas_terms(
        self, requesters: np.ndarray, urgency: np.ndarray, complexity: np.ndarray
    ) -> tuple[list[float], float, list[float], list[float]]:
        """The terms of the SaaS logit that do not depend on IT's estimate: the requester's
        speed weight, marketing's trust in IT, urgency and complexity (:meth:`saas_probability`).
        Each is centred on a traditional firm's typical value (speed weight 0.45, trust 0.45,
        mid urgency and complexity), so ``saas_propensity`` is the logit at 6 weeks."""
        m = self.model
        p = m.p
        speed = p.saas_speed_weight * (m.kpi[requesters, SPEED] - 0.45)
        trust_term = p.saas_trust_weight * (m.trust_marketing_in_it.value - 0.45)
        urgent = p.saas_urgency_weight * (urgency - 0.5)
        complex_ = p.saas_complexity_weight * (complexity - 0.5)
        return speed.tolist(), trust_term, urgent.tolist(), complex_.tolist()

    def _saas_logit(
        self, expected_weeks: float, speed: float, trust_term: float, urgent: float, complex_: float
    ) -> float:
        """The SaaS logit of one request: ``saas_propensity``, IT's estimate against 6 weeks
        (``saas_delay_weight``), then the terms of :meth:`_saas_terms`, summed in this order."""
        p = self.model.p
        return (
            p.saas_propensity
            + p.saas_delay_weight * (expected_weeks / 6.0 - 1.0)
            + speed
            - trust_term
            + urgent
            - complex_
        )

    def _saas_chance(self, logit: float) -> float:
        """The SaaS probability of a logit, after early involvement and the SaaS policy."""
        m = self.model
        if m.lever("it_involved_early"):
            logit -= m.p.early_saas_cut
        prob = 1.0 / (1.0 + math.exp(-logit))
        return min(1.0, prob * saas_damping(m.p, m.lever("saas_policy")))

    def saas_probability(self, req: Request, expected_weeks: float) -> float:
        """Chance that marketing buys this request as SaaS around IT (docs/model.md: work,
        step 2): a logit that rises with IT's estimate (``saas_delay_weight`` per 6 weeks), the
        speed weight of the requester's KPIs and urgency, and falls with marketing's trust in IT
        and the request's complexity."""
        speed, trust_term, urgent, complex_ = self._saas_terms(
            np.array([req.requester]), np.array([req.urgency]), np.array([req.complexity])
        )
        logit = self._saas_logit(expected_weeks, speed[0], trust_term, urgent[0], complex_[0])
        return self._saas_chance(logit)

    def governance_waits(self, complexity: np.ndarray, agility: float) -> np.ndarray:
        """Weeks each request waits for approval: ``governance_weeks``, shortened by light
        governance (``governance_agility``) for low-risk work."""
        p = self.model.p
        low_risk = complexity < p.low_risk_complexity
        return np.where(low_risk, p.governance_weeks * (1.0 - agility), p.governance_weeks)

    def _count(self, event: str, rows: np.ndarray, *leaders: int) -> None:
        """Count ``event`` once for each of ``rows`` and once per row for each leader."""
        if rows.size:
            people = np.concatenate([rows, np.repeat(np.array(leaders, np.int64), rows.size)])
            self.model.ledger.add(event, people)

    def _route(self, req: Request, expected_weeks: float) -> None:
        """Route one request whose technologist is chosen (:meth:`_route_all`)."""
        saas = req.u[U_ROUTE] < self.saas_probability(req, expected_weeks)
        self._route_all([req], np.array([expected_weeks]), np.array([saas]))

    def _route_all(self, reqs: list[Request], expected: np.ndarray, saas: np.ndarray) -> None:
        """Send each request the way it was decided (``saas``): to a SaaS purchase, or to its
        technologist's queue after the governance wait, with a date promised over IT's head or
        padded by IT from its estimate ``expected`` (weeks); then count what the requester and
        the leaders saw."""
        m = self.model
        p = m.p
        week = m.steps
        cmo, cio = m.cmo, m.cio
        rows = np.array([r.requester for r in reqs], dtype=np.int64)
        uniforms = np.stack([r.u for r in reqs])
        complexity = np.array([r.complexity for r in reqs])
        self._count("raised", rows, cmo)
        policy = m.lever("saas_policy")
        self._count("routed_saas", rows[saas], cmo, cio)
        broke = saas & (uniforms[:, U_VIOLATION] < violation_share(p, policy))
        self._count("violation", rows[broke], cmo, cio)
        self._count("bad_interaction", np.full(np.count_nonzero(broke), cio))

        it = ~saas
        agility = m.lever("governance_agility")
        start = week + np.round(self.governance_waits(complexity, agility)).astype(np.int64)
        effort = self.efforts(complexity, agility, p)
        promised = it & (uniforms[:, U_PROMISE] < self.promise_probabilities(rows))
        # Marketing's date follows the business's wish, not IT's queue: about 30% optimistic;
        # IT pads its own estimate.
        factor = np.where(promised, p.promise_optimism, p.estimate_padding)
        due = week + np.ceil(factor * expected).astype(np.int64)
        for k, req in enumerate(reqs):
            if saas[k]:
                req.route = "saas"
                req.due_week = week + p.saas_lead_weeks
                self.saas_pending.append(req)
                continue
            req.route = "it"
            req.start_week = int(start[k])
            req.effort_total = req.effort_left = float(effort[k])
            req.promised = bool(promised[k])
            req.due_week = int(due[k])
            self.queues.setdefault(req.assignee, deque()).append(req)
        self._count("promised_without_it", rows[promised], cmo, cio)
        self._count("raised_it", rows[it], cmo, cio)
        # Decided jointly: raised under the roadmap the CMO and CIO agreed, and not promised over
        # IT's head.
        joint = it & ~promised & m.roadmap_agreed
        self._count("joint_decision", rows[joint], cmo, cio)
        bridges = np.array([r.bridge for r in reqs], dtype=np.int64)
        embedded = (bridges >= 0) & (m.staff.role[np.maximum(bridges, 0)] == EMBEDDED)
        self._count("handled_together", rows[joint | (it & embedded)], cmo, cio)

    def promise_probabilities(self, requesters: np.ndarray) -> np.ndarray:
        """Chance that marketing commits a date without IT's agreement, for each requester
        (docs/model.md: work, step 4)."""
        m = self.model
        prob = m.p.promise_propensity * (m.kpi[requesters, SPEED] / 0.6)
        prob *= 1.0 - m.p.promise_trust_weight * (m.trust_marketing_in_it.value - 0.3)
        if m.roadmap_agreed:
            prob *= 1.0 - m.p.roadmap_promise_cut  # the dates were agreed with IT
        return np.clip(prob, 0.0, 1.0)

    def promise_probability(self, req: Request) -> float:
        """Chance that marketing commits a date without IT's agreement
        (:meth:`promise_probabilities` for one request)."""
        return float(self.promise_probabilities(np.array([req.requester]))[0])

    # -- 3 and 5: priority and delivery ------------------------------------------------------------
    def priority_share(self) -> float:
        """Share of IT effort given to marketing's requests this week: the CIO's decision
        (:meth:`sim.model.agents.CIO.marketing_share`)."""
        return self.model.cio_agent.marketing_share()

    def plan_week(self, priority: float) -> None:
        """Each technologist's marketing effort this week: capacity times skill times priority;
        early involvement spends a little of it on reviewing ideas."""
        m = self.model
        rows = m.technologist_rows
        staff = m.staff
        overhead = m.p.early_effort_share if m.lever("it_involved_early") else 1.0
        self.allowance[:] = 0.0
        self.allowance[rows] = (
            m.p.it_capacity * staff.capacity[rows] * staff.tech_skill[rows] * priority * overhead
        )
        self.delivered_this_week = []
        self.reworked_this_week = 0
        self.abandoned_this_week = 0

    def work_queues(self) -> None:
        """Every technologist with requests in its queue works on them (:meth:`work_on_queue`),
        in row order, which is the technologists' creation order."""
        for tech in sorted(t for t, queue in self.queues.items() if queue):
            self.work_on_queue(tech)

    def work_on_queue(self, tech: int) -> None:
        """Spend ``tech``'s marketing effort on its oldest startable requests."""
        m = self.model
        if m.delivery_stopped:
            return
        queue = self.queues.get(tech)
        if not queue:
            return
        p = m.p
        week = m.steps
        budget = self.allowance[tech]
        for req in list(queue):
            if req.effort_left >= req.effort_total and week - req.raised_week > p.abandon_weeks:
                queue.remove(req)
                self._abandon(req)
                continue
            if budget <= 0:
                break
            if req.start_week > week:
                continue
            if req.effort_left >= req.effort_total:  # IT starts it now: for the ledger only
                m.ledger.add("it_started", [req.requester, m.cmo, m.cio])
                if week - req.start_week >= START_WAIT_WEEKS:
                    m.ledger.add("not_started_in_time", [req.requester, m.cmo, m.cio])
            spent = min(budget, req.effort_left)
            req.effort_left -= spent
            budget -= spent
            if req.effort_left > 1e-9:
                continue
            if req.reworks < p.max_reworks and req.u[U_REWORK + req.reworks] > req.clarity:
                req.reworks += 1
                req.effort_left = p.rework_effort_share * req.effort_total
                self.reworked_this_week += 1
                m.ledger.add("reworked", [req.requester, m.cmo, m.cio])
                continue
            queue.remove(req)
            skill = float(m.staff.tech_skill[tech])
            missed = req.reworks >= p.max_reworks and req.u[U_MISSED] > req.clarity
            req.quality = (
                p.it_quality_base + p.it_quality_skill * skill + p.it_quality_clarity * req.clarity
            ) * (p.missed_quality if missed else 1.0)
            if not missed:
                m.ledger.add("delivered_working", [req.requester, m.cmo, m.cio])
            self._deliver(req, integrated=True)
        self.allowance[tech] = budget

    def _abandon(self, req: Request) -> None:
        """An unmet request: marketing gives up on it, a failure in its eyes (docs/model.md:
        trust)."""
        m = self.model
        self.abandoned_this_week += 1
        m.ledger.add("late", [req.requester, m.cmo, m.cio])
        m.ledger.add("unmet", [req.requester, m.cmo, m.cio])
        for event in ("underdelivered", "not_started_in_time"):
            m.ledger.add(event, [req.requester, m.cmo, m.cio])
        m.ledger.add("bad_interaction", m.cmo)
        if req.promised:
            m.ledger.add("broken_promise", [req.requester, m.cmo, m.cio])
            m.ledger.add("it_friction", [req.requester, m.cmo, m.cio])
        m.network.record_outcome(req.requester, req.assignee, False)
        m.trust_marketing_in_it.record(0.0, 1.0)

    def deliver_saas(self) -> None:
        """SaaS tools bought ``saas_lead_weeks`` ago go live: fast, decent, unintegrated."""
        m = self.model
        if m.delivery_stopped:
            return
        p = m.p
        week = m.steps
        while self.saas_pending and self.saas_pending[0].due_week <= week:
            req = self.saas_pending.popleft()
            skill = float(m.staff.tech_skill[req.requester])
            # Uniform noise of width saas_quality_noise: sd about 0.1 at the default.
            noise = p.saas_quality_noise * (req.u[U_QUALITY] - 0.5)
            quality = p.saas_quality_base + p.saas_quality_skill * skill + noise
            req.quality = float(np.clip(quality, p.saas_quality_floor, 1.0))
            m.data_flow.silo(silo_weight(m.p, m.lever("saas_policy")))
            m.saas_tools += 1.0
            m.saas_owned[req.requester] += 1.0
            self._deliver(req, integrated=False)

    def _deliver(self, req: Request, integrated: bool) -> None:
        """Record a delivery: the customers' offering, data maturity, trust and experience."""
        m = self.model
        week = m.steps
        req.delivered_week = week
        self.delivered_this_week.append(req)
        late = week > req.due_week
        m.offering.add(req.value * req.quality, req.timeliness(m.p.timeliness_weeks))
        people = [req.requester, m.cmo]
        m.ledger.add("delivered", people)
        if integrated:
            m.data_flow.integrate(req.quality)
            people_it = [req.requester, m.cmo, m.cio]
            if late:
                m.ledger.add("late", people_it)
            if req.promised and late:
                m.ledger.add("broken_promise", people_it)
            self._record_delivery(req, late)
            success = not late and req.reworks == 0
            m.network.record_outcome(req.requester, req.assignee, success)
            # Marketing judges IT on lateness and misses; IT judges marketing on the clarity of what
            # was asked and on dates promised over its head (docs/model.md, trust: broken promises
            # fail both).
            m.trust_marketing_in_it.record(float(success), float(not success))
            it_failure = req.reworks > 0 or (req.promised and late)
            m.trust_it_in_marketing.record(float(not it_failure), float(it_failure))
        else:
            m.ledger.add("saas_live", [req.requester, m.cmo, m.cio])
            # A working tool that IT will have to integrate: a success for marketing, a failure
            # in IT's eyes whenever it broke the standards.
            m.trust_marketing_in_it.record(0.0, 0.0)
            weight = silo_weight(m.p, m.lever("saas_policy"))
            m.trust_it_in_marketing.record(0.0, m.p.saas_distrust_weight * weight)

    def _record_delivery(self, req: Request, late: bool) -> None:
        """What an IT delivery was in the eyes of the requester and the two leaders, for the
        survey's ledger (docs/survey.md); nothing the model does reads it."""
        m = self.model
        ledger = m.ledger
        people = [req.requester, m.cmo, m.cio]
        reworked = req.reworks > 0
        ledger.add("delivered_it", people)
        if late or reworked:
            ledger.add("underdelivered", people)
        if reworked:  # the result missed what was meant: the requirements were unclear
            ledger.add("unclear_requirements", people)
        if reworked or req.promised:
            ledger.add("it_friction", people)
        # Each leader judges the dealing with the other side as its department's trust does.
        ledger.add("bad_interaction" if late or reworked else "good_interaction", m.cmo)
        broke = reworked or (req.promised and late)
        ledger.add("bad_interaction" if broke else "good_interaction", m.cio)
