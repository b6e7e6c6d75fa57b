#!/usr/bin/perl
# call_sites.pl: reads a server log written with debug_print_parse = on and
# prints one line per function, operator or aggregate call found in the parse
# trees, with the types the arguments had BEFORE any implicit cast:
#   pid <TAB> f|o|a <TAB> oid <TAB> result type <TAB> arg types (comma-separated)
# A planted object with exactly those argument types would beat the one the
# parser chose whenever the chosen one needed a cast (or was variadic or
# polymorphic). Calls whose argument types cannot be told are skipped; calls
# that are casts or SQL syntax (EXTRACT, TRIM...) are not name lookups.
# Usage: perl call_sites.pl [PID...] < server.log  (no PID: every backend)
use strict;
use warnings;

my %seen;

# --- a reader for nodeToString output -------------------------------------
my @tok;
my $pos;

sub tokenize {
	my ($s) = @_;
	@tok = ();
	while ($s =~ /\G\s*((?:\\.|[^\s{}()\\])+|[{}()])/gcs) { push @tok, $1; }
	$pos = 0;
}

sub parse_value {
	my $t = $tok[$pos];
	return undef unless defined $t;
	if ($t eq '{') { return parse_node(); }
	if ($t eq '(') {
		$pos++;
		my @items;
		while (defined $tok[$pos] && $tok[$pos] ne ')') {
			if ($tok[$pos] eq '{' || $tok[$pos] eq '(') { push @items, parse_value(); }
			else { push @items, $tok[$pos++]; }
		}
		$pos++;
		return \@items;
	}
	# a scalar, possibly several tokens (constvalue: "4 [ 1 0 0 0 ]")
	my @words;
	while (defined $tok[$pos] && $tok[$pos] !~ /^:/ && $tok[$pos] !~ /^[{}()]$/) { push @words, $tok[$pos++]; }
	return join(' ', @words);
}

sub parse_node {
	$pos++;    # {
	my %n = (_type => $tok[$pos++]);
	while (defined $tok[$pos] && $tok[$pos] ne '}') {
		my $f = $tok[$pos++];
		if ($f =~ /^:(.*)$/) { my $name = $1; $n{$name} = parse_value(); }
		elsif ($f eq '{' || $f eq '(') { $pos--; parse_value(); }    # unexpected: skip it
	}
	$pos++;    # }
	return \%n;
}

# --- types ------------------------------------------------------------------
my %implicit_fmt = (FUNCEXPR => 'funcformat', RELABELTYPE => 'relabelformat', COERCEVIAIO => 'coerceformat',
	ARRAYCOERCEEXPR => 'coerceformat', COERCETODOMAIN => 'coercionformat', CONVERTROWTYPEEXPR => 'convertformat');

sub strip {    # the expression under any implicit casts
	my ($n) = @_;
	while (ref $n eq 'HASH' && $implicit_fmt{ $n->{_type} } && ($n->{ $implicit_fmt{ $n->{_type} } } // '') eq '2') {
		$n = $n->{_type} eq 'FUNCEXPR' ? $n->{args}[0] : $n->{arg};
	}
	return $n;
}

my %type_field = (CONST => 'consttype', VAR => 'vartype', PARAM => 'paramtype', FUNCEXPR => 'funcresulttype',
	OPEXPR => 'opresulttype', DISTINCTEXPR => 'opresulttype', NULLIFEXPR => 'opresulttype', AGGREF => 'aggtype',
	WINDOWFUNC => 'wintype', RELABELTYPE => 'resulttype', COERCEVIAIO => 'resulttype', ARRAYCOERCEEXPR => 'resulttype',
	CONVERTROWTYPEEXPR => 'resulttype', CASE => 'casetype', CASETESTEXPR => 'typeId', ARRAYEXPR => 'array_typeid',
	ARRAY => 'array_typeid', ROW => 'row_typeid', COALESCEEXPR => 'coalescetype', COALESCE => 'coalescetype',
	MINMAX => 'minmaxtype', MINMAXEXPR => 'minmaxtype', SQLVALUEFUNCTION => 'type', COERCETODOMAIN => 'resulttype',
	COERCETODOMAINVALUE => 'typeId', FIELDSELECT => 'resulttype', FIELDSTORE => 'resulttype',
	SUBSCRIPTINGREF => 'refrestype', NEXTVALUEEXPR => 'typeId', SETTODEFAULT => 'typeId');
my %bool_node = map { $_ => 1 } qw(SCALARARRAYOPEXPR BOOLEXPR NULLTEST BOOLEANTEST ROWCOMPAREEXPR CURRENTOFEXPR);

sub type_of {
	my ($n) = @_;
	return undef unless ref $n eq 'HASH';
	my $t = $n->{_type};
	return '16' if $bool_node{$t};
	return type_of($n->{arg}) if $t eq 'COLLATEEXPR' || $t eq 'COLLATE';
	if ($t eq 'SUBLINK') {
		my $k = $n->{subLinkType} // '';
		return '16' unless $k eq '4' || $k eq '6';
		my $q = $n->{subselect};
		return undef unless ref $q eq 'HASH' && ref $q->{targetList} eq 'ARRAY';
		my ($te) = grep { ref $_ eq 'HASH' && ($_->{resjunk} // '') ne 'true' } @{ $q->{targetList} };
		my $et = $te ? type_of($te->{expr}) : undef;
		return undef unless defined $et;
		return $k eq '4' ? $et : "A$et";    # A: the array type of
	}
	my $f = $type_field{$t};
	return undef unless $f && defined $n->{$f} && $n->{$f} =~ /^\d+$/;
	return $n->{$f};
}

sub argtypes {
	my (@args) = @_;
	my @types;
	for my $a (@args) {
		my $t = type_of(strip($a));
		return undef unless defined $t && $t ne '0';
		# an untyped literal (unknown, 705) accepts any type: text, as the parser prefers
		push @types, $t eq '705' ? '25' : $t;
	}
	return join(',', @types);
}

sub emit {
	my ($p, $kind, $oid, $ret, $types) = @_;
	return unless defined $types && defined $oid && $oid =~ /^\d+$/;
	my $k = "$p\t$kind\t$oid\t" . ($ret // 0) . "\t$types";
	print "$k\n" unless $seen{$k}++;
}

sub walk {
	my ($p, $n) = @_;
	if (ref $n eq 'ARRAY') { walk($p, $_) for @$n; return; }
	return unless ref $n eq 'HASH';
	my $t = $n->{_type};
	my @args = ref $n->{args} eq 'ARRAY' ? @{ $n->{args} } : ();
	if ($t eq 'FUNCEXPR' && ($n->{funcformat} // '') eq '0') {
		# a variadic call whose array the parser built: its elements are the arguments
		if (($n->{funcvariadic} // '') eq 'true' && @args && ref $args[-1] eq 'HASH'
			&& ($args[-1]{_type} =~ /^ARRAY(EXPR)?$/) && ref $args[-1]{elements} eq 'ARRAY') {
			my @fixed = @args[0 .. $#args - 1];
			emit($p, 'f', $n->{funcid}, $n->{funcresulttype}, argtypes(@fixed, @{ $args[-1]{elements} }));
		}
		emit($p, 'f', $n->{funcid}, $n->{funcresulttype}, argtypes(@args));
	} elsif ($t eq 'OPEXPR' || $t eq 'DISTINCTEXPR' || $t eq 'NULLIFEXPR') {
		emit($p, 'o', $n->{opno}, $n->{opresulttype}, argtypes(@args));
	} elsif ($t eq 'SCALARARRAYOPEXPR' && @args == 2) {
		# x op ANY (array): the operator was looked up with the array's element type
		my $l = type_of(strip($args[0]));
		my $r = strip($args[1]);
		my $rt;
		if (ref $r eq 'HASH' && $r->{_type} =~ /^ARRAY(EXPR)?$/ && ref $r->{elements} eq 'ARRAY' && @{ $r->{elements} }) {
			$rt = type_of(strip($r->{elements}[0]));
		} else {
			my $at = type_of($r);
			# E: the element type of; an ARRAY(SELECT ...) (A: the array type of) has its element's
			$rt = !defined $at ? undef : $at =~ /^A(\d+)$/ ? $1 : "E$at";
		}
		($l, $rt) = map { defined $_ && $_ eq '705' ? '25' : $_ } ($l, $rt);
		emit($p, 'o', $n->{opno}, 16, "$l,$rt") if defined $l && defined $rt;
	} elsif ($t eq 'AGGREF') {
		my @a = map { ref $_ eq 'HASH' ? $_->{expr} : undef } (ref $n->{args} eq 'ARRAY' ? @{ $n->{args} } : ());
		my @d = ref $n->{aggdirectargs} eq 'ARRAY' ? @{ $n->{aggdirectargs} } : ();
		emit($p, 'a', $n->{aggfnoid}, $n->{aggtype}, argtypes(@d, @a)) if @a || @d;
	} elsif ($t eq 'WINDOWFUNC') {
		emit($p, 'w', $n->{winfnoid}, $n->{wintype}, argtypes(@args)) if @args;
	}
	walk($p, $n->{$_}) for grep { $_ ne '_type' } keys %$n;
}

sub sites {
	my ($p, $text) = @_;
	tokenize($text);
	my $tree = parse_value();
	walk($p, $tree);
}

# --- main: after the tables above are set -------------------------------
my %want = map { $_ => 1 } @ARGV;
my ($pid, $dump);

sub flush_dump {
	if (defined $dump) {
		$dump =~ s/\n\t/ /g;
		sites($1, $dump) if $pid =~ /^(\d+)$/;
	}
	undef $dump;
}

my %armed_pid;
while (my $line = <STDIN>) {
	if ($line =~ /^\t/ && defined $dump) { $dump .= $line; next; }
	flush_dump();
	next unless $line =~ /\[(\d+)\]\s+(LOG|DETAIL):\s+(.*)$/;
	my ($p, $kind, $rest) = ($1, $2, $3);
	next if %want && !$want{$p};
	if ($kind eq 'LOG') { $armed_pid{$p} = ($rest eq 'parse tree:'); next; }
	if ($armed_pid{$p} && $rest =~ /^\{/) { $pid = $p; $dump = "$rest\n"; }
	$armed_pid{$p} = 0;
}
flush_dump();
