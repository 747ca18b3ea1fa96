"""The fake Stripe the billing tests talk to: localstripe (PyPI), run with
what Tenantry's Stripe mirror uses and localstripe 1.15 lacks.

localstripe keeps customers, payment methods, invoices and webhooks. Added
here, modelled on Stripe's API reference:
- prices (`/v1/prices`), kept as localstripe plans so that its invoices can
  charge them, with `recurring[meter]` and `transform_quantity`;
- billing meters and meter events (`/v1/billing/meters`,
  `/v1/billing/meter_events`), aggregated `sum`, `count` or `last`;
- subscriptions with several items (`items[i][price]`), and item changes on
  update (`items[i][id]` with `deleted` or `quantity`, or a new price);
- billing-portal sessions, whose page the peer serves itself;
- `Idempotency-Key`: a repeated key replays the first answer, and a repeated
  key with other parameters is refused, as Stripe does.
`/_tenantry/requests` lists every write with its key and user agent, and
`/_tenantry/meter_usage` what a meter holds for a customer, for the tests.
Stripe Connect (accounts, `Stripe-Account`, checkout, fees, refunds, events
sent to webhook endpoints) is in stripe_connect.py.

Usage: python scripts/stripe-peer.py --port N --from-scratch
"""

import html
import math
import random
import string
import time

from aiohttp import web
from localstripe import server
from localstripe.errors import UserError
from localstripe.resources import Customer, Plan, Subscription, SubscriptionItem

import stripe_connect

METERS = {}  # id -> meter
METER_EVENTS = []  # in arrival order
SEEN_IDENTIFIERS = set()
PORTAL_SESSIONS = {}  # id -> session
IDEMPOTENT = {}  # (Stripe-Account, key) -> first request and its answer
WRITES = []  # every write: method, path, idempotency key, Stripe-Account


def new_id(prefix):
    alphabet = string.ascii_letters + string.digits
    return prefix + ''.join(random.choice(alphabet) for _ in range(14))


def bad_request(message, param=None):
    contents = {'param': param} if param else None
    return UserError(400, message, contents)


def as_int(value, param):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request('Invalid integer: %r' % (value,), param)


# --- prices -----------------------------------------------------------------

def price_json(plan):
    return {
        'id': plan.id,
        'object': 'price',
        'active': plan.active,
        'currency': plan.currency,
        'unit_amount': plan.amount,
        'billing_scheme': plan.billing_scheme,
        'tiers_mode': plan.tiers_mode,
        'tiers': plan.tiers,
        'recurring': {
            'interval': plan.interval,
            'usage_type': plan.usage_type,
            'meter': getattr(plan, '_meter', None),
        },
        'transform_quantity': getattr(plan, '_transform', None),
        'product': plan.product,
        'metadata': plan.metadata,
    }


async def create_price(request):
    data = await server.get_post_data(request) or {}
    recurring = data.get('recurring') or {}
    product = data.get('product_data') or {}
    usage_type = recurring.get('usage_type', 'licensed')
    meter = recurring.get('meter')
    if usage_type == 'metered' and meter not in METERS:
        raise bad_request('A metered price needs an existing meter',
                          'recurring[meter]')
    transform = data.get('transform_quantity')
    if transform is not None:
        as_int(transform.get('divide_by'), 'transform_quantity[divide_by]')
        if transform.get('round') not in ('up', 'down'):
            raise bad_request('round must be up or down',
                              'transform_quantity[round]')
    scheme = data.get('billing_scheme', 'per_unit')
    plan = Plan(id=new_id('price_'),
                currency=data.get('currency'),
                interval=recurring.get('interval'),
                usage_type=usage_type,
                billing_scheme=scheme,
                tiers=data.get('tiers'),
                tiers_mode=data.get('tiers_mode'),
                amount=data.get('unit_amount') if scheme == 'per_unit' else 0,
                product=dict(name=product.get('name')),
                metadata=data.get('metadata'))
    plan._meter = meter
    plan._transform = transform
    return server.json_response(price_json(plan))


async def retrieve_price(request):
    return server.json_response(
        price_json(Plan._api_retrieve(request.match_info['id'])))


# --- meters -----------------------------------------------------------------

async def create_meter(request):
    data = await server.get_post_data(request) or {}
    name = data.get('event_name')
    formula = (data.get('default_aggregation') or {}).get('formula')
    mapping = data.get('customer_mapping') or {}
    if not name:
        raise bad_request('Missing required param: event_name', 'event_name')
    if formula not in ('sum', 'count', 'last'):
        raise bad_request('formula must be sum, count or last',
                          'default_aggregation[formula]')
    if mapping.get('type') != 'by_id' or not mapping.get('event_payload_key'):
        raise bad_request('customer_mapping needs type by_id and a key',
                          'customer_mapping')
    if any(m['event_name'] == name for m in METERS.values()):
        raise bad_request('An active meter already uses this event_name',
                          'event_name')
    meter = {
        'id': new_id('mtr_'),
        'object': 'billing.meter',
        'display_name': data.get('display_name'),
        'event_name': name,
        'default_aggregation': {'formula': formula},
        'customer_mapping': mapping,
        'value_settings': data.get('value_settings') or
        {'event_payload_key': 'value'},
        'status': 'active',
        'created': int(time.time()),
    }
    METERS[meter['id']] = meter
    return server.json_response(meter)


async def list_meters(request):
    return server.json_response({'object': 'list', 'has_more': False,
                                 'data': list(METERS.values())})


async def create_meter_event(request):
    data = await server.get_post_data(request) or {}
    meter = next((m for m in METERS.values()
                  if m['event_name'] == data.get('event_name')), None)
    if meter is None:
        raise bad_request('No active meter for this event_name', 'event_name')
    payload = data.get('payload') or {}
    customer = payload.get(meter['customer_mapping']['event_payload_key'])
    Customer._api_retrieve(customer)  # 404 when there is no such customer
    value_key = meter['value_settings']['event_payload_key']
    try:
        value = float(payload.get(value_key))
    except (TypeError, ValueError):
        raise bad_request('The value must be a number', 'payload[value]')
    identifier = data.get('identifier') or new_id('mev_')
    event = {
        'object': 'billing.meter_event',
        'event_name': meter['event_name'],
        'identifier': identifier,
        'payload': payload,
        'timestamp': as_int(data.get('timestamp', int(time.time())),
                            'timestamp'),
        'created': int(time.time()),
    }
    # Stripe keeps the first event with an identifier and drops repeats.
    if identifier not in SEEN_IDENTIFIERS:
        SEEN_IDENTIFIERS.add(identifier)
        METER_EVENTS.append((meter['id'], customer, value, event))
    return server.json_response(event)


def meter_value(meter_id, customer):
    meter = METERS.get(meter_id)
    if meter is None:
        return 0
    events = sorted(((e['timestamp'], i, value)
                     for i, (m, c, value, e) in enumerate(METER_EVENTS)
                     if m == meter_id and c == customer))
    formula = meter['default_aggregation']['formula']
    if formula == 'count':
        return len(events)
    if formula == 'sum':
        return sum(v for _, _, v in events)
    return events[-1][2] if events else 0


# --- subscriptions with several items ----------------------------------------

def plan_item(item):
    item = dict(item)
    if 'price' in item:
        item['plan'] = item.pop('price')
    return item


_deferring = []
_original_init = Subscription.__init__
_original_create_invoice = Subscription._create_invoice
_original_update = Subscription._update
_original_item_init = SubscriptionItem.__init__
_original_amount = SubscriptionItem._calculate_amount


def subscription_init(self, items=None, proration_behavior=None, **kwargs):
    items = [plan_item(i) for i in (items or [])]
    for item in items:
        Plan._api_retrieve(item.get('plan'))  # 404 for an unknown price
    if len({i['plan'] for i in items}) != len(items):
        raise bad_request('A price may appear once per subscription', 'items')
    _deferring.append(True)
    try:
        _original_init(self, items=items[:1], **kwargs)
    finally:
        _deferring.pop()
    for item in items[1:]:
        self.items._list.append(SubscriptionItem(
            subscription=self.id, plan=item['plan'],
            quantity=item.get('quantity') or 1,
            metadata=item.get('metadata')))
    if self.trial_end is None and self.trial_period_days is None:
        self._create_invoice()


def create_invoice(self):
    if not _deferring:
        _original_create_invoice(self)


def subscription_update(self, items=None, proration_behavior=None, **kwargs):
    if items is not None:
        current = list(self.items._list)
        quantities = {}
        for item in (plan_item(i) for i in items):
            if item.get('id'):
                found = next((x for x in current if x.id == item['id']), None)
                if found is None:
                    raise bad_request('No such subscription item: ' +
                                      item['id'], 'items')
                if str(item.get('deleted')).lower() == 'true':
                    current.remove(found)
                elif item.get('quantity') is not None:
                    quantities[found.id] = as_int(item['quantity'],
                                                  'items[quantity]')
            else:
                Plan._api_retrieve(item.get('plan'))
                if any(x.plan.id == item['plan'] for x in current):
                    raise bad_request('This price is already on the '
                                      'subscription', 'items')
                current.append(SubscriptionItem(
                    subscription=self.id, plan=item['plan'],
                    quantity=item.get('quantity') or 1))
        if not current:
            raise bad_request('A subscription needs at least one item',
                              'items')
        # Checked in full above; applied only now.
        for x in current:
            x.quantity = quantities.get(x.id, x.quantity)
        self.items._list = current
        self.quantity = current[0].quantity
    return _original_update(self, **kwargs)


def item_init(self, *args, **kwargs):
    _original_item_init(self, *args, **kwargs)
    self.price = {'id': self.plan.id, 'object': 'price'}


def item_amount(self):
    """A metered item charges what its meter holds, as Stripe does."""
    if self.plan.usage_type != 'metered':
        return _original_amount(self)
    customer = Subscription._api_retrieve(self._subscription).customer
    quantity = meter_value(getattr(self.plan, '_meter', None), customer)
    transform = getattr(self.plan, '_transform', None)
    if transform:
        divided = quantity / int(transform['divide_by'])
        quantity = math.ceil(divided) if transform['round'] == 'up' \
            else math.floor(divided)
    quantity = int(quantity)
    if quantity <= 0:
        return 0
    saved, self.quantity = self.quantity, quantity
    try:
        return _original_amount(self)
    finally:
        self.quantity = saved


Subscription.__init__ = subscription_init
Subscription._create_invoice = create_invoice
Subscription._update = subscription_update
SubscriptionItem.__init__ = item_init
SubscriptionItem._calculate_amount = item_amount


# --- billing portal -----------------------------------------------------------

async def create_portal_session(request):
    data = await server.get_post_data(request) or {}
    Customer._api_retrieve(data.get('customer'))
    return_url = data.get('return_url')
    if not return_url or not return_url.startswith('http'):
        raise bad_request('return_url must be an absolute URL', 'return_url')
    session = {
        'id': new_id('bps_'),
        'object': 'billing_portal.session',
        'customer': data['customer'],
        'return_url': return_url,
        'created': int(time.time()),
    }
    session['url'] = '%s://%s/_tenantry/portal/%s' % (
        request.scheme, request.host, session['id'])
    PORTAL_SESSIONS[session['id']] = session
    return server.json_response(session)


def portal_page(session_id):
    session = PORTAL_SESSIONS.get(session_id)
    if session is None:
        return web.Response(status=404, text='no such portal session')
    body = ('<!doctype html><title>Billing portal (test)</title>'
            '<h1>Billing portal (test)</h1>'
            '<p data-testid="portal-customer">%s</p>'
            '<a data-testid="portal-return" href="%s">Return</a>') % (
        html.escape(session['customer']), html.escape(session['return_url']))
    return web.Response(text=body, content_type='text/html')


# --- idempotency and the tests' view ------------------------------------------

@web.middleware
async def idempotency(request, handler):
    if request.path.startswith('/_tenantry/'):
        answer = await stripe_connect.tenantry(request)
        return answer if answer is not None else tenantry_view(request)
    if request.method not in ('POST', 'DELETE') or \
            not request.path.startswith('/v1/'):
        return await handler(request)
    key = request.headers.get('Idempotency-Key')
    account = request.headers.get('Stripe-Account')
    scoped = (account, key)  # a key under two accounts: two requests
    body = await request.read()
    WRITES.append({'method': request.method, 'path': request.path,
                   'idempotency_key': key, 'stripe_account': account,
                   'user_agent': request.headers.get('User-Agent', '')})
    if key and scoped in IDEMPOTENT:
        first = IDEMPOTENT[scoped]
        if (first['method'], first['path'], first['body']) != \
                (request.method, request.path, body):
            refusal = UserError(400, 'Keys for idempotent requests can only '
                                'be used with the same parameters they were '
                                'first used with.')
            refusal.body['error']['type'] = 'idempotency_error'
            return refusal.to_response()
        return web.Response(status=first['status'], body=first['answer'],
                            content_type='application/json',
                            headers={'Idempotent-Replayed': 'true'})
    response = await handler(request)
    if key and response.status < 500:
        IDEMPOTENT[scoped] = {'method': request.method,
                              'path': request.path, 'body': body,
                              'status': response.status,
                              'answer': response.body}
    return response


def tenantry_view(request):
    path = request.path
    if path == '/_tenantry/requests':
        return server.json_response(WRITES)
    if path == '/_tenantry/meter_usage':
        meter = request.query.get('meter', '')
        meter_id = next((m['id'] for m in METERS.values()
                         if meter in (m['id'], m['event_name'])), None)
        value = meter_value(meter_id, request.query.get('customer'))
        return server.json_response({'meter': meter_id, 'value': value})
    if path.startswith('/_tenantry/portal/'):
        return portal_page(path.rsplit('/', 1)[-1])
    return web.Response(status=404, text='not found')


server.app.middlewares.insert(0, idempotency)
server.app.router.add_post('/v1/prices', create_price)
server.app.router.add_get('/v1/prices/{id}', retrieve_price)
server.app.router.add_post('/v1/billing/meters', create_meter)
server.app.router.add_get('/v1/billing/meters', list_meters)
server.app.router.add_post('/v1/billing/meter_events', create_meter_event)
server.app.router.add_post('/v1/billing_portal/sessions',
                           create_portal_session)
stripe_connect.install(server.app)

if __name__ == '__main__':
    server.start()
