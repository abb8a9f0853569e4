"""ape run order SUBCOMMAND: every step of a production order, customer and producer side.

Every subcommand takes Ape's --network and --account; those that send a transaction also
take --max-fee and --priority-fee; status, history, match, demands, sync and watch only read
(they ignore --account, with a notice on stderr); speed-up TX and cancel-tx TX replace a
pending transaction. Sizes in mm (or with a unit: 25cm),
volumes in cm3 (or mm3), prices in ether (or gwei/wei, or token units), times as ISO
dates (UTC), 'now', or +DURATION (e.g. +7d).
"""

import functools
import signal
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from offchain.chain.client import pending_timestamp
from offchain.chain.codec import ZERO_ADDRESS
from offchain.chain.session import open_chain, prepare_account
from offchain.cli import commands, files, params
from offchain.cli import quantities as q
from offchain.cli.fees import fee_options
from offchain.cli.lazy import lazy_module
from offchain.cli.output import ape_logs_to_stderr, one_line_errors
from offchain.config import passphrase_from_env
from offchain.orders import RANKINGS
from offchain.transfer import storage

# The heavy modules load inside the commands that use them (offchain/cli/lazy.py).
indexing = lazy_module("offchain.cli.indexing")
indexed = lazy_module("offchain.orders.indexed")
market = lazy_module("offchain.orders.market")
report = lazy_module("offchain.orders.report")
workflow = lazy_module("offchain.orders.steps")
light = lazy_module("offchain.chain.light")

ape_logs_to_stderr()

existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group(cls=commands.Group, short_help="Production order steps")
def cli():
    pass


def _echo(step):
    click.echo(step.line())


def step_command(name, **kwargs):
    """A subcommand connected to the chosen network, with --account, --max-fee and
    --priority-fee, errors as one line."""

    def decorator(func):
        return cli.command(name, cls=ConnectedProviderCommand, **kwargs)(
            account_option()(fee_options(one_line_errors(func)))
        )

    return decorator


def read_command(name, **kwargs):
    """A read-only subcommand: connected to the chosen network; --account is ignored (a notice)."""

    def decorator(func):
        return cli.command(name, cls=ConnectedProviderCommand, **kwargs)(
            params.read_only_account_option(one_line_errors(func))
        )

    return decorator


def index_read_command(name, **kwargs):
    """A read of the market index alone, passed the deployment to read as its first argument.
    On a node network (``--network ethereum:prodnet:node``, ``ethereum:permissioned:node``, ...)
    it reads without Ape's provider (offchain/chain/light.py: the same node, record and ABIs,
    without Ape's start-up); on any other network it connects through Ape, as read_command."""

    def decorator(func):
        @functools.wraps(func)  # its docstring and its click arguments
        def run(network, **params):
            source = light.reader(network)
            if source is not None:
                return func(source, **params)
            from ape import networks
            from ape.exceptions import NetworkError

            try:
                connection = networks.parse_network_choice(network)
            except NetworkError as exc:  # an unknown network: the usage error Ape's option gives
                raise click.BadParameter(str(exc), param_hint="'--network'") from None
            with connection:
                return func(open_chain(None), **params)

        network = click.option(
            "--network", default=None, help="ecosystem:network:provider, as Ape's (default: Ape's default)"
        )
        return cli.command(name, **kwargs)(network(params.read_only_account_option(one_line_errors(run))))

    return decorator


def _token(value):
    return value or ZERO_ADDRESS


#: --arbiter of open and request: a term of the order, named at creation and never changed.
ARBITER_OPTION = click.option(
    "--arbiter",
    type=params.ADDRESS,
    default=None,
    help="Public deployments: the account that resolves the order's disputes, for good (not yours; "
    "default none: a dispute ends by the default rule, a full refund)",
)


def _passphrase_option(func):
    return click.option("--passphrase-env", help="Environment variable holding the key's passphrase.")(func)


@step_command("register-key")
@click.argument("public_key", type=existing_file)
def register_key(account, public_key):
    """Publish your OpenPGP public key (PUB.asc) on chain."""
    _echo(workflow.register_key(open_chain(account), public_key))


@step_command("register-machine")
@click.option("--process", required=True, help="e.g. SLS, FDM, SLM")
@click.option("--material", required=True, help="e.g. PA12, PLA, Ti6Al4V")
@click.option("--envelope", required=True, help="Build envelope X x Y x Z, e.g. 340x340x600mm")
@click.option("--metadata-uri", default="", help="Where the rest of the machine's data is")
def register_machine(account, process, material, envelope, metadata_uri):
    """Register a machine (producer)."""
    _echo(
        workflow.register_machine(open_chain(account), process, material, q.dims_um(envelope), metadata_uri)
    )


@step_command("open")
@click.option("--machine", "machine_id", type=params.ID, required=True)
@click.option("--envelope", default=None, help="Region offered (default: the whole machine)")
@click.option("--capacity", default=None, help="Build space offered in cm3 (default: the envelope's volume)")
@click.option("--start", default="now", help="Window start (default now)")
@click.option("--end", required=True, help="Window end, e.g. 2026-12-01T10:00 or +7d")
@click.option("--delivery", required=True, help="Delivery deadline, e.g. +21d")
@click.option(
    "--price", required=True,
    help="Price per cm3 of build space (a part's bounding box x quantity), e.g. 0.0005 (ether); 0 is free",
)
@click.option("--token", type=params.ADDRESS, default=None, help="ERC-20 address to be paid in (default ETH)")
@ARBITER_OPTION
def open_(account, machine_id, envelope, capacity, start, end, delivery, price, token, arbiter):
    """Open capacity on a machine (producer). --price 0 is allowed: the order is free of
    charge, and the output says so. --token must be an ERC-20 contract on this chain and on
    the deployment's allowlist ('ape run tokens list'). --delivery is after --end, by at most
    the deployment's longest lead time (90 days by default). --arbiter (public deployments)
    names who resolves the order's disputes, for good: customers accept it by joining."""
    c = open_chain(account)
    now = pending_timestamp()
    _echo(
        workflow.open_order(
            c,
            machine_id,
            q.dims_um(envelope) if envelope else None,
            q.volume_mm3(capacity) if capacity else None,
            q.timestamp(start, now),
            q.timestamp(end, now),
            q.timestamp(delivery, now),
            q.token_amount(price),
            _token(token),
            arbiter=arbiter,
        )
    )


@step_command("request")
@click.argument("part", type=existing_file)
@click.option("--quantity", type=params.COUNT, default=1, show_default=True)
@click.option(
    "--max-price", required=True,
    help="Most you pay per cm3 of build space (bounding box x quantity), e.g. 0.001 (ether)",
)
@click.option("--end", required=True, help="Producers may take it until, e.g. +3d")
@click.option("--delivery", required=True, help="Delivery deadline, e.g. +21d")
@click.option("--material", default="", help="Wished material (default any)")
@click.option("--token", type=params.ADDRESS, default=None, help="ERC-20 address to pay in (default ETH)")
@click.option("--units", type=click.Choice(["mm", "inch"]), default="mm")
@ARBITER_OPTION
def request(account, part, quantity, max_price, end, delivery, material, token, units, arbiter):
    """Request production of PART (customer): creates a requested order. The deposit is the
    build space's price at --max-price; the producer who takes it credits back the difference
    to its own price. --delivery is at most the deployment's longest lead time (90 days by
    default) after --end. --arbiter (public deployments) names who resolves the order's
    disputes, for good: the producer accepts it by taking the request."""
    c = open_chain(account)
    now = pending_timestamp()
    _echo(
        workflow.request_order(
            c,
            part,
            quantity,
            q.token_amount(max_price),
            q.timestamp(end, now),
            q.timestamp(delivery, now),
            material,
            _token(token),
            units,
            arbiter=arbiter,
        )
    )


@step_command("take")
@click.argument("order_id", type=params.ID)
@click.option("--machine", "machine_id", type=params.ID, required=True)
@click.option("--envelope", default=None)
@click.option("--capacity", default=None, help="cm3")
@click.option("--price", required=True, help="Your price per cm3 (at most the customer's maximum)")
def take(account, order_id, machine_id, envelope, capacity, price):
    """Take a requested order with your machine (producer)."""
    _echo(
        workflow.take(
            open_chain(account),
            order_id,
            machine_id,
            q.dims_um(envelope) if envelope else None,
            q.volume_mm3(capacity) if capacity else None,
            q.token_amount(price),
        )
    )


@read_command("match")
@click.argument("part", type=existing_file)
@click.option("--quantity", type=params.COUNT, default=1, show_default=True)
@click.option("--units", type=click.Choice(["mm", "inch"]), default="mm")
@click.option("--material", default=None, help="Only orders in this material (default any)")
@click.option("--max-price", default=None, help="Only orders at most this price per cm3")
@click.option("--delivery", default=None, help="Only orders delivering by then, e.g. +14d")
@click.option(
    "--rank",
    type=click.Choice(RANKINGS),
    default="price",
    show_default=True,
    help="price: cheapest first; record: the producers' track record first",
)
@click.option("--groups", is_flag=True, help="OBJ: each o/g group is a part (an assembly).")
def match(part, quantity, units, material, max_price, delivery, rank, groups):
    """Open orders PART can join, best first (price, delivery, fit; or track record first),
    with the lead time to each delivery and, where a machine has a slicing profile here, the
    print time and material."""
    from offchain.shop import estimates

    def estimate(machine):
        found = estimates.for_part(part, machine, quantity, units)
        return found.columns() if found else None

    c = open_chain(None)
    click.echo(
        market.match_text(
            c,
            part,
            quantity,
            units,
            estimate=estimate if estimates.any_profile() else None,
            split_groups=groups,
            material=material,
            max_price_per_cm3=q.token_amount(max_price) if max_price else None,
            deadline=q.timestamp(delivery, pending_timestamp()) if delivery else None,
            rank=rank,
        )
    )


@read_command("demands")
@click.argument("order_id", type=params.ID)
def demands(order_id):
    """Requested parts that would fit ORDER_ID's capacity, packed first-fit decreasing; with
    the print time and material on the order's machine when it has a slicing profile."""
    from offchain.shop import estimates

    def estimate(machine, dims_um, volume_mm3, quantity):
        found = estimates.for_volume(dims_um, volume_mm3, machine, quantity)
        return found.columns() if found else None

    c = open_chain(None)
    click.echo(market.demands_text(c, order_id, estimate if estimates.any_profile() else None))


@step_command("join")
@click.argument("order_id", type=params.ID)
@click.argument("part", type=existing_file)
@click.option("--quantity", type=params.COUNT, default=1, show_default=True)
@click.option("--units", type=click.Choice(["mm", "inch"]), default="mm")
@click.option("--groups", is_flag=True, help="OBJ: each o/g group is a part (an assembly).")
def join(account, order_id, part, quantity, units, groups):
    """Join ORDER_ID with PART (customer): an STL, OBJ or 3MF; a file of several parts (a 3MF's
    build items, an OBJ's groups with --groups) joins as one assembly, a job per part, in one
    transaction. Each part's fit and price are checked first."""
    c = open_chain(account)
    for quote in workflow.quote_parts(c, order_id, part, quantity, units, split_groups=groups):
        click.echo(quote.describe())
    _echo(workflow.join(c, order_id, part, quantity, units, split_groups=groups))


@step_command("leave")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
def leave(account, order_id, job_id):
    """Leave an open order; your deposit is credited back (customer)."""
    _echo(workflow.leave(open_chain(account), order_id, job_id))


@step_command("evict")
@click.argument("order_id", type=params.ID)
@click.option(
    "--job", "job_ids", type=params.ID, multiple=True, required=True,
    is_eager=True,  # a missing --job is refused before Ape asks which account to use
    help="A joined job to remove (repeat for several: --job 2 --job 5)",
)
def evict(account, order_id, job_ids):
    """Remove joined jobs (no model yet) from your open order, in one transaction (producer):
    each job's whole deposit is credited back to its customer, its space and live slot freed.
    Jobs already left or refunded are skipped."""
    _echo(workflow.evict(open_chain(account), order_id, job_ids))


@step_command("close")
@click.argument("order_id", type=params.ID)
def close(account, order_id):
    """Stop taking customers (producer; anyone after the window ended)."""
    _echo(workflow.close(open_chain(account), order_id))


@step_command("cancel")
@click.argument("order_id", type=params.ID)
def cancel(account, order_id):
    """Cancel an order before anything shipped; open jobs are refunded."""
    _echo(workflow.cancel(open_chain(account), order_id))


@step_command("submit-model")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
@click.argument("part", type=existing_file)
@click.option(
    "--key", "secret_key", type=existing_file, required=True, help="Your secret key (signs the model)"
)
@_passphrase_option
@click.option("--storage", "kind", type=click.Choice(["ipfs", "file"]), default="ipfs", show_default=True)
@click.option("--ipfs-api", default=None, help="Kubo RPC multiaddr (default $PRODNET_IPFS_API)")
@click.option("--root", default=None, help="File store folder (default $PRODNET_FILE_STORE)")
@click.option("--units", type=click.Choice(["mm", "inch"]), default="mm")
@click.option("--groups", is_flag=True, help="OBJ: each o/g group is a part (as joined with --groups).")
def submit_model(
    account, order_id, job_id, part, secret_key, passphrase_env, kind, ipfs_api, root, units, groups
):
    """Encrypt PART to the producer's key from the chain, store it, record URI + sha256. An
    assembly's file is submitted once for all its jobs: JOB_ID is its first job."""
    store = storage.open_store(kind, ipfs_api=ipfs_api, root=root)
    _echo(
        workflow.submit_model(
            open_chain(account),
            order_id,
            job_id,
            part,
            store,
            secret_key,
            passphrase_from_env(passphrase_env),
            units,
            split_groups=groups,
        )
    )


@step_command("fetch-model")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
@click.option("--key", "secret_key", type=existing_file, required=True, help="Your secret key (decrypts)")
@_passphrase_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--ipfs-api", default=None, help="Kubo RPC multiaddr (default $PRODNET_IPFS_API)")
@click.option("--force", is_flag=True, help="Replace --out if it exists (never the --key file).")
def fetch_model(account, order_id, job_id, secret_key, passphrase_env, out, ipfs_api, force):
    """Fetch, verify, decrypt and check a job's model (producer). An existing --out is refused
    unless --force."""
    files.check_output(out, (secret_key,), force)
    fetched = workflow.fetch_model(
        open_chain(account),
        order_id,
        job_id,
        secret_key,
        out,
        passphrase_from_env(passphrase_env),
        ipfs_api,
    )
    click.echo(f"fetched {fetched.uri} (sha256 {fetched.sha256[:16]}… verified)")
    click.echo(f"signed by {fetched.signer} (the customer's key on chain)")
    if len(fetched.parts) > 1:  # an assembly's one file: every part checked against its job
        count = len(fetched.parts)
        click.echo(f"wrote {fetched.path}: {count} parts, each matches its job's public data on chain")
        for job, name, part in fetched.parts:
            x, y, z = part.bbox_mm
            click.echo(f"  job {job}: {name}, {x:g} x {y:g} x {z:g} mm, {part.volume_mm3:.1f} mm3")
        return
    x, y, z = fetched.part.bbox_mm
    click.echo(
        f"wrote {fetched.path}: {x:g} x {y:g} x {z:g} mm, {fetched.part.volume_mm3:.1f} mm3 "
        "- matches the public data on chain"
    )


@step_command("ship")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
def ship(account, order_id, job_id):
    """Mark a job's part shipped (producer)."""
    _echo(workflow.ship(open_chain(account), order_id, job_id))


@step_command("produce")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
@click.option("--printer", "printer_name", required=True, help="The printer ('ape run printer list')")
@click.option("--key", "secret_key", type=existing_file, required=True, help="Your secret key (decrypts)")
@_passphrase_option
@click.option("--ipfs-api", default=None, help="Kubo RPC multiaddr (default $PRODNET_IPFS_API)")
@click.option("--watch", "follow", is_flag=True, help="Follow the print until it is done or failed")
@click.option("--ship-when-done", is_flag=True, help="Ship the job once its print is done (implies --watch)")
@click.option("--retry", is_flag=True, help="Print again after a failed or cancelled print")
@click.option("--poll", type=float, default=2.0, show_default=True, help="Seconds between checks")
def produce(account, order_id, job_id, printer_name, secret_key, passphrase_env, ipfs_api, follow,
            ship_when_done, retry, poll):
    """Fetch, verify and decrypt a job's model, slice it with the machine's profile, print it on
    PRINTER (producer); once per job: a re-run watches the print already started. With
    --ship-when-done the job is shipped when the print is done; a failed or cancelled print
    sends nothing."""
    from offchain.shop import produce as shop

    c = open_chain(account)
    started = shop.produce(
        c, order_id, job_id, printer_name, secret_key, passphrase_from_env(passphrase_env), ipfs_api,
        retry=retry, notify=click.echo,
    )
    click.echo(f"produce: {started.summary}")
    if started.state in ("started", "printing") and (follow or ship_when_done):
        started = shop.watch(c, order_id, job_id, poll_s=poll, notify=click.echo)
        click.echo(f"produce: {started.summary}")
    if started.state == "printed":
        if ship_when_done:
            _echo(shop.ship_printed(c, order_id, job_id))
        else:
            click.echo(f"print done: ship it with 'ape run order ship {order_id} {job_id}'")


@step_command("confirm")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
def confirm(account, order_id, job_id):
    """Confirm receipt; the payment is credited to the producer (customer)."""
    _echo(workflow.confirm(open_chain(account), order_id, job_id))


@step_command("finalize")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
def finalize(account, order_id, job_id):
    """Complete a shipped job after the confirmation window (producer)."""
    _echo(workflow.finalize(open_chain(account), order_id, job_id))


@step_command("reclaim")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
def reclaim(account, order_id, job_id):
    """Take back the deposit of a job not shipped by the delivery deadline (customer)."""
    _echo(workflow.reclaim(open_chain(account), order_id, job_id))


@step_command("reject")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
def reject(account, order_id, job_id):
    """Decline a job's model before the delivery deadline, e.g. one fetch-model found not to
    match the part declared on chain (producer): 10% of the deposit is credited to you, the
    rest back to the customer."""
    _echo(workflow.reject(open_chain(account), order_id, job_id))


@step_command("dispute")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
@click.option("--reason", required=True, help="Why, for the arbiter (a sentence; the event keeps it).")
def dispute(account, order_id, job_id, reason):
    """Dispute a shipped job within the confirmation window (customer), saying why: the
    producer can no longer finalize it; the order's arbiter splits the deposit, or after the
    arbitration window anyone settles it as a full refund to you."""
    _echo(workflow.dispute(open_chain(account), order_id, job_id, reason))


@step_command("resolve")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
@click.option(
    "--to-producer", "to_producer", type=params.AMOUNT, required=True,
    help="The producer's share of the deposit, e.g. 0.0012 (ether) or 5 gwei; the rest goes to the customer",
)
def resolve(account, order_id, job_id, to_producer):
    """End the dispute over a job by splitting its deposit (the order's arbiter): --to-producer
    to the producer, the rest back to the customer."""
    _echo(workflow.resolve(open_chain(account), order_id, job_id, to_producer))


@step_command("settle")
@click.argument("order_id", type=params.ID)
@click.argument("job_id", type=params.ID)
def settle(account, order_id, job_id):
    """End a dispute the arbiter left open past the arbitration window (anyone): the whole
    deposit goes back to the customer."""
    _echo(workflow.settle(open_chain(account), order_id, job_id))




@step_command("withdraw")
@click.option("--token", type=params.ADDRESS, default=None, help="ERC-20 address (default ETH)")
def withdraw(account, token):
    """Withdraw your credit."""
    _echo(workflow.withdraw(open_chain(account), _token(token)))


@index_read_command("status")
@click.argument("order_id", type=params.ID, required=False)
def status(source, order_id):
    """Orders and jobs with states, space used and deposits."""
    click.echo(report.status(source, order_id))


@index_read_command("history")
@click.argument("order_id", type=params.ID)
def history(source, order_id):
    """An order's timeline from its events, with transaction hashes and gas."""
    click.echo(report.history_table(report.history(source, order_id)))


@read_command("sync")
def sync():
    """Bring the local market index up to the chain (new blocks only); a progress bar on long syncs."""
    c = open_chain(None)
    with indexing.sync_progress() as progress:
        index = indexed.market_index(c, sync=False)
        result = index.sync(progress)
    click.echo(indexing.sync_line(index, result))


@read_command("watch")
@click.option("--order", "order_id", type=params.ID, default=None, help="Only this order's events")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between checks")
def watch(order_id, poll):
    """Print one line per new event, live, until Ctrl-C."""
    index = indexed.market_index(open_chain(None))
    click.echo(
        f"watching {'order ' + str(order_id) if order_id else 'the market'} from block "
        f"{index.synced_block} (Ctrl-C stops)",
        err=True,
    )
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ape's own handler exits 130
    try:
        for event in index.follow(poll):
            if order_id is None or event.order_id == order_id:
                click.echo(report.watch_line(index, event))
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@step_command("speed-up")
@click.argument("tx_hash", metavar="TX", type=params.TX_HASH)
def speed_up(account, tx_hash):
    """Send your pending transaction TX again with the same nonce and a higher fee (at least
    12.5 % more; --max-fee / --priority-fee set it), and wait for it to be mined. The step
    that sent TX, if still waiting or run again, follows the replacement."""
    from offchain.chain import sending

    click.echo(sending.replace(prepare_account(account), tx_hash).line("replaced"))


@step_command("cancel-tx")
@click.argument("tx_hash", metavar="TX", type=params.TX_HASH)
def cancel_tx(account, tx_hash):
    """Cancel your pending transaction TX: a transfer of nothing to yourself with its nonce
    and a higher fee takes its place, so its step is not done (run the step again to do it)."""
    from offchain.chain import sending

    click.echo(sending.replace(prepare_account(account), tx_hash, cancel=True).line("cancelled"))
